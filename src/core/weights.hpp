// Expert weights: the EP format every path starts from, and the fused kernel's format
// (docs/weight_formats.md). All values are bf16, drawn N(0,1) * 0.02 from the run's seed.
#pragma once

#include <cstdint>
#include <vector>

#include "core/bf16.hpp"
#include "core/mesh.hpp"
#include "core/moe_shape.hpp"

namespace moebench {

constexpr double kSyntheticScale = 0.02;

// EP format, row-major: wi_0 (E, H, I) gate, wi_1 (E, H, I) up, wo (E, I, H) down.
struct EpWeights {
  std::int64_t num_experts = 0, hidden = 0, intermediate = 0;
  std::vector<bf16_bits> wi_0, wi_1, wo;

  bf16_bits gate(std::int64_t e, std::int64_t h, std::int64_t i) const { return wi_0[(e * hidden + h) * intermediate + i]; }
  bf16_bits up(std::int64_t e, std::int64_t h, std::int64_t i) const { return wi_1[(e * hidden + h) * intermediate + i]; }
  bf16_bits down(std::int64_t e, std::int64_t i, std::int64_t h) const { return wo[(e * intermediate + i) * hidden + h]; }
};

EpWeights generate_ep_weights(const MoeShape& shape, std::uint64_t seed);

// Fused format of one device's shard (experts `experts`, intermediate slice `inter`), row-major,
// the reduction dimension contiguous in both, as the tensor cores read B:
//   w13 (E_local, 2 * I_local, H): the slice cut in blocks of `interleave` intermediate columns;
//       block b holds its gate rows then its up rows, so one tile of 2*interleave rows yields
//       both halves of the activation's input.
//   w2  (E_local, H, I_local): w2[e][h][i] = wo[e][i][h].
struct FusedWeights {
  std::int64_t num_experts = 0, hidden = 0, intermediate = 0;  // local sizes
  std::int64_t interleave = 0;
  std::vector<bf16_bits> w13, w2;

  // Row of w13 holding gate (is_up = false) or up (is_up = true) column i of the slice.
  std::int64_t w13_row(std::int64_t i, bool is_up) const;
};

FusedWeights to_fused_format(const EpWeights& ep, Range experts, Range inter, std::int64_t interleave);
// The inverse, for tests: the EP-format shard the fused weights were made from.
EpWeights from_fused_format(const FusedWeights& fused);

}  // namespace moebench
