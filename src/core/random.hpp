// Seeded, counter-based random numbers: element i of a stream depends only on (seed, stream, i),
// so tensors fill in parallel and reproduce exactly whatever the thread count.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>

#include "core/bf16.hpp"

namespace moebench {

constexpr std::uint64_t splitmix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Named streams, so that adding a tensor never shifts the values of another.
enum class RngStream : std::uint64_t {
  kGateWeights = 1,
  kUpWeights = 2,
  kDownWeights = 3,
  kHiddenStates = 16,
  kRouterLogits = 17,
  kTokenShuffle = 18,
};

class CounterRng {
 public:
  CounterRng(std::uint64_t seed, std::uint64_t stream)
      : key_(splitmix64(seed ^ splitmix64(stream * 0xd1342543de82ef95ull + 1))) {}
  CounterRng(std::uint64_t seed, RngStream stream, std::uint64_t substream = 0)
      : CounterRng(seed, (static_cast<std::uint64_t>(stream) << 40) ^ substream) {}

  std::uint64_t bits(std::uint64_t index) const { return splitmix64(key_ + index * 0x9e3779b97f4a7c15ull); }

  // Uniform in (0, 1]: never 0, so log() is safe.
  double uniform(std::uint64_t index) const { return static_cast<double>((bits(index) >> 11) + 1) * 0x1.0p-53; }

  // Standard normal number `index` (Box-Muller over the uniform pair 2*(index/2), 2*(index/2)+1).
  double normal(std::uint64_t index) const {
    const std::uint64_t pair = index / 2;
    const double radius = std::sqrt(-2.0 * std::log(uniform(2 * pair)));
    const double angle = 6.283185307179586 * uniform(2 * pair + 1);
    return radius * ((index & 1) ? std::sin(angle) : std::cos(angle));
  }

  // Below `bound`, for shuffles; the modulo bias is below 2^-32 for any bound we use.
  std::uint64_t below(std::uint64_t index, std::uint64_t bound) const { return bits(index) % bound; }

 private:
  std::uint64_t key_;
};

// out[i] = normal(i) * scale, rounded to bf16. Parallel over elements, deterministic.
void fill_normal_bf16(const CounterRng& rng, double scale, std::span<bf16_bits> out);
// out[i] = normal(i) * scale in f32.
void fill_normal_f32(const CounterRng& rng, double scale, std::span<float> out);

}  // namespace moebench
