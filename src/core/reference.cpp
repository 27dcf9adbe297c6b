// Straightforward float64 loops: slow on purpose, obviously right.
#include "core/reference.hpp"

#include <cmath>

namespace moebench {

std::vector<double> reference_moe(std::span<const bf16_bits> hidden_states, const Routing& routing, const EpWeights& w,
                                  Activation activation) {
  const std::int64_t T = routing.num_tokens, H = w.hidden, I = w.intermediate;
  const int k = routing.top_k;
  std::vector<double> out(static_cast<std::size_t>(T * H), 0.0);
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t t = 0; t < T; ++t) {
    std::vector<double> x(static_cast<std::size_t>(H)), h(static_cast<std::size_t>(I));
    for (std::int64_t c = 0; c < H; ++c) x[c] = bf16_to_float(hidden_states[static_cast<std::size_t>(t * H + c)]);
    for (int j = 0; j < k; ++j) {
      const std::int64_t e = routing.expert_ids[static_cast<std::size_t>(t * k + j)];
      const double weight = routing.weights[static_cast<std::size_t>(t * k + j)];
      for (std::int64_t i = 0; i < I; ++i) {
        double gate = 0.0, up = 0.0;
        for (std::int64_t c = 0; c < H; ++c) {
          gate += x[c] * bf16_to_float(w.gate(e, c, i));
          up += x[c] * bf16_to_float(w.up(e, c, i));
        }
        h[i] = apply_activation(activation, gate, up);
      }
      for (std::int64_t c = 0; c < H; ++c) {
        double y = 0.0;
        for (std::int64_t i = 0; i < I; ++i) y += h[i] * bf16_to_float(w.down(e, i, c));
        out[static_cast<std::size_t>(t * H + c)] += weight * y;
      }
    }
  }
  return out;
}

namespace {
template <typename B>
double relative_error_impl(std::span<const float> a, std::span<const B> b) {
  double diff = 0.0, norm = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double d = static_cast<double>(a[i]) - static_cast<double>(b[i]);
    diff += d * d;
    norm += static_cast<double>(b[i]) * static_cast<double>(b[i]);
  }
  if (norm == 0.0) return diff == 0.0 ? 0.0 : INFINITY;
  return std::sqrt(diff / norm);
}
}  // namespace

double relative_error(std::span<const float> a, std::span<const double> b) { return relative_error_impl(a, b); }
double relative_error(std::span<const float> a, std::span<const float> b) { return relative_error_impl(a, b); }

}  // namespace moebench
