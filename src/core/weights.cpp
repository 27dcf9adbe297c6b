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
  const std::int64_t interleave = layout.interleave;
  const std::int64_t block_begin = i / interleave * interleave;
  const std::int64_t block_rows = std::min(interleave, intermediate_rows - block_begin);
  return 2 * block_begin + (is_up ? block_rows : 0) + (i - block_begin);
}

namespace {
std::int64_t round_up(std::int64_t value, std::int64_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}
}  // namespace

FusedWeights fused_geometry(std::int64_t hidden, Range experts, Range inter, const FusedLayout& layout) {
  FusedWeights f;
  f.num_experts = experts.size();
  f.hidden = hidden;
  f.intermediate = inter.size();
  f.layout = layout;
  f.intermediate_rows = round_up(f.intermediate, layout.intermediate_multiple);
  f.hidden_stride = round_up(f.hidden, layout.stride_multiple);
  f.intermediate_stride = round_up(f.intermediate, layout.stride_multiple);
  return f;
}

FusedWeights to_fused_format(const EpWeights& ep, Range experts, Range inter, const FusedLayout& layout) {
  FusedWeights f = fused_geometry(ep.hidden, experts, inter, layout);
  f.w13.assign(static_cast<std::size_t>(f.num_experts * 2 * f.intermediate_rows * f.hidden_stride), 0);
  f.w2.assign(static_cast<std::size_t>(f.num_experts * f.hidden * f.intermediate_stride), 0);
  const std::int64_t e0 = experts.begin, i0 = inter.begin;
  place_fused(
      f, f.w13.data(), f.w2.data(),
      [&](std::int64_t e, std::int64_t h, std::int64_t i) { return ep.gate(e0 + e, h, i0 + i); },
      [&](std::int64_t e, std::int64_t h, std::int64_t i) { return ep.up(e0 + e, h, i0 + i); },
      [&](std::int64_t e, std::int64_t i, std::int64_t h) { return ep.down(e0 + e, i0 + i, h); });
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
        ep.wi_0[ep_index] = f.w13[f.w13_index(e, f.w13_row(i, false), h)];
        ep.wi_1[ep_index] = f.w13[f.w13_index(e, f.w13_row(i, true), h)];
        ep.wo[static_cast<std::size_t>((e * I + i) * H + h)] = f.w2[f.w2_index(e, h, i)];
      }
    }
  }
  return ep;
}

}  // namespace moebench
