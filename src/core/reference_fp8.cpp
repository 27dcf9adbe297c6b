// Straightforward float64 loops over codes and scales, the block structure written out: slow on
// purpose, obviously the formula of docs/fp8.md.
#include "core/reference_fp8.hpp"

#include <algorithm>

namespace moebench {

namespace {

// A row quantized per 128 channels: its e4m3 values (exact in double) and its group scales.
struct QuantizedRow {
  std::vector<double> values;
  std::vector<double> scales;
};

QuantizedRow quantize(std::span<const float> row) {
  std::vector<e4m3_bits> codes(row.size());
  std::vector<float> scales(static_cast<std::size_t>(fp8_blocks(static_cast<std::int64_t>(row.size()))));
  quantize_row(row, codes, scales);
  QuantizedRow q;
  for (e4m3_bits c : codes) q.values.push_back(e4m3_to_float(c));
  q.scales.assign(scales.begin(), scales.end());
  return q;
}

// Output column n of a = (K) times the projection's (K, N) matrix of expert e: per K block, the
// sum of exact products of e4m3 values, scaled by the activation group's and the weight block's scales.
double block_scaled_dot(const QuantizedRow& a, const Fp8Projection& w, std::int64_t e, std::int64_t n) {
  double sum = 0.0;
  for (std::int64_t kb = 0; kb < w.row_blocks(); ++kb) {
    const std::int64_t first = kb * kFp8BlockSize, end = std::min(w.rows, first + kFp8BlockSize);
    double partial = 0.0;
    for (std::int64_t k = first; k < end; ++k)
      partial += a.values[static_cast<std::size_t>(k)] * static_cast<double>(e4m3_to_float(w.code(e, k, n)));
    sum += a.scales[static_cast<std::size_t>(kb)] * static_cast<double>(w.scale(e, first, n)) * partial;
  }
  return sum;
}

}  // namespace

std::vector<double> reference_moe_fp8(std::span<const bf16_bits> hidden_states, const Routing& routing,
                                      const Fp8EpWeights& w, Activation activation) {
  const std::int64_t T = routing.num_tokens, H = w.hidden, I = w.intermediate;
  const int k = routing.top_k;
  std::vector<double> out(static_cast<std::size_t>(T * H), 0.0);
#pragma omp parallel for schedule(dynamic, 1)
  for (std::int64_t t = 0; t < T; ++t) {
    std::vector<float> x(static_cast<std::size_t>(H)), h(static_cast<std::size_t>(I));
    bf16_to_float(hidden_states.subspan(static_cast<std::size_t>(t * H), static_cast<std::size_t>(H)), x);
    const QuantizedRow xq = quantize(x);
    for (int j = 0; j < k; ++j) {
      const std::int64_t e = routing.expert_ids[static_cast<std::size_t>(t * k + j)];
      const double weight = routing.weights[static_cast<std::size_t>(t * k + j)];
      for (std::int64_t i = 0; i < I; ++i) {
        const double gate = block_scaled_dot(xq, w.gate, e, i), up = block_scaled_dot(xq, w.up, e, i);
        h[static_cast<std::size_t>(i)] = static_cast<float>(apply_activation(activation, gate, up));
      }
      const QuantizedRow hq = quantize(h);
      for (std::int64_t c = 0; c < H; ++c)
        out[static_cast<std::size_t>(t * H + c)] += weight * block_scaled_dot(hq, w.down, e, c);
    }
  }
  return out;
}

}  // namespace moebench
