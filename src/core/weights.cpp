// Synthetic weight generation and the EP <-> fused format conversion.
#include "core/weights.hpp"

#include <algorithm>

#include "core/random.hpp"

namespace moebench {

EpWeights generate_ep_weights(const MoeShape& shape, std::uint64_t seed) {
  EpWeights w;
  w.num_experts = shape.num_experts;
  w.hidden = shape.hidden_size;
  w.intermediate = shape.intermediate_size;
  const auto count = static_cast<std::size_t>(w.num_experts * w.hidden * w.intermediate);
  w.wi_0.resize(count);
  w.wi_1.resize(count);
  w.wo.resize(count);
  fill_normal_bf16(CounterRng(seed, RngStream::kGateWeights), kSyntheticScale, w.wi_0);
  fill_normal_bf16(CounterRng(seed, RngStream::kUpWeights), kSyntheticScale, w.wi_1);
  fill_normal_bf16(CounterRng(seed, RngStream::kDownWeights), kSyntheticScale, w.wo);
  return w;
}

std::int64_t FusedWeights::w13_row(std::int64_t i, bool is_up) const {
  const std::int64_t block = i / interleave;
  const std::int64_t block_begin = block * interleave;
  const std::int64_t block_rows = std::min(interleave, intermediate - block_begin);
  return 2 * block_begin + (is_up ? block_rows : 0) + (i - block_begin);
}

FusedWeights to_fused_format(const EpWeights& ep, Range experts, Range inter, std::int64_t interleave) {
  FusedWeights f;
  f.num_experts = experts.size();
  f.hidden = ep.hidden;
  f.intermediate = inter.size();
  f.interleave = interleave;
  const std::int64_t H = f.hidden, I = f.intermediate;
  f.w13.resize(static_cast<std::size_t>(f.num_experts * 2 * I * H));
  f.w2.resize(static_cast<std::size_t>(f.num_experts * H * I));
#pragma omp parallel for collapse(2) schedule(static)
  for (std::int64_t e = 0; e < f.num_experts; ++e) {
    for (std::int64_t h = 0; h < H; ++h) {
      const std::int64_t ge = experts.begin + e;
      for (std::int64_t i = 0; i < I; ++i) {
        const std::int64_t gi = inter.begin + i;
        f.w13[static_cast<std::size_t>((e * 2 * I + f.w13_row(i, false)) * H + h)] = ep.gate(ge, h, gi);
        f.w13[static_cast<std::size_t>((e * 2 * I + f.w13_row(i, true)) * H + h)] = ep.up(ge, h, gi);
        f.w2[static_cast<std::size_t>((e * H + h) * I + i)] = ep.down(ge, gi, h);
      }
    }
  }
  return f;
}

EpWeights from_fused_format(const FusedWeights& f) {
  EpWeights ep;
  ep.num_experts = f.num_experts;
  ep.hidden = f.hidden;
  ep.intermediate = f.intermediate;
  const std::int64_t H = f.hidden, I = f.intermediate;
  const auto count = static_cast<std::size_t>(f.num_experts * H * I);
  ep.wi_0.resize(count);
  ep.wi_1.resize(count);
  ep.wo.resize(count);
  for (std::int64_t e = 0; e < f.num_experts; ++e) {
    for (std::int64_t h = 0; h < H; ++h) {
      for (std::int64_t i = 0; i < I; ++i) {
        const auto ep_index = static_cast<std::size_t>((e * H + h) * I + i);
        ep.wi_0[ep_index] = f.w13[static_cast<std::size_t>((e * 2 * I + f.w13_row(i, false)) * H + h)];
        ep.wi_1[ep_index] = f.w13[static_cast<std::size_t>((e * 2 * I + f.w13_row(i, true)) * H + h)];
        ep.wo[static_cast<std::size_t>((e * I + i) * H + h)] = f.w2[static_cast<std::size_t>((e * H + h) * I + i)];
      }
    }
  }
  return ep;
}

}  // namespace moebench
