// Parallel fills from a CounterRng, and bf16 bulk conversion.
#include "core/random.hpp"

#include <cstddef>

namespace moebench {

namespace {

// Both normals of each Box-Muller pair at once: the same values as CounterRng::normal(i).
template <typename Store>
void fill_normal_pairs(const CounterRng& rng, double scale, std::size_t count, Store store) {
  const auto pairs = static_cast<std::ptrdiff_t>((count + 1) / 2);
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t p = 0; p < pairs; ++p) {
    const auto pair = static_cast<std::uint64_t>(p);
    const double radius = std::sqrt(-2.0 * std::log(rng.uniform(2 * pair))) * scale;
    const double angle = 6.283185307179586 * rng.uniform(2 * pair + 1);
    store(2 * pair, radius * std::cos(angle));
    if (2 * pair + 1 < count) store(2 * pair + 1, radius * std::sin(angle));
  }
}

}  // namespace

void fill_normal_bf16(const CounterRng& rng, double scale, std::span<bf16_bits> out) {
  fill_normal_pairs(rng, scale, out.size(),
                    [&](std::uint64_t i, double v) { out[i] = float_to_bf16(static_cast<float>(v)); });
}

void fill_normal_f32(const CounterRng& rng, double scale, std::span<float> out) {
  fill_normal_pairs(rng, scale, out.size(), [&](std::uint64_t i, double v) { out[i] = static_cast<float>(v); });
}

void bf16_to_float(std::span<const bf16_bits> in, std::span<float> out) {
  const auto n = static_cast<std::ptrdiff_t>(in.size());
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t i = 0; i < n; ++i)
    out[static_cast<std::size_t>(i)] = bf16_to_float(in[static_cast<std::size_t>(i)]);
}

}  // namespace moebench
