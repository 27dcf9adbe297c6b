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

  bf16_bits gate(std::int64_t e, std::int64_t h, std::int64_t i) const {
    return wi_0[(e * hidden + h) * intermediate + i];
  }
  bf16_bits up(std::int64_t e, std::int64_t h, std::int64_t i) const {
    return wi_1[(e * hidden + h) * intermediate + i];
  }
  bf16_bits down(std::int64_t e, std::int64_t i, std::int64_t h) const {
    return wo[(e * intermediate + i) * hidden + h];
  }
};

EpWeights generate_ep_weights(const MoeShape& shape, std::uint64_t seed);

// How a fused-format shard is laid out: the gate/up interleave and the paddings the reader needs.
struct FusedLayout {
  std::int64_t interleave = 64;            // intermediate columns per gate/up block
  std::int64_t intermediate_multiple = 1;  // w13 holds I padded to this (zero rows), whole blocks
  std::int64_t stride_multiple = 1;        // row strides (H of w13, I of w2) padded to this (zeros)
};

// Fused format of one device's shard (experts `experts`, intermediate slice `inter`), row-major,
// the reduction dimension contiguous in both, as the tensor cores read B:
//   w13 (E_local, 2 * I_rows, H_stride): I padded to I_rows, cut in blocks of `interleave`
//       columns; block b holds its gate rows then its up rows, so one tile of 2*interleave rows
//       yields both halves of the activation's input.
//   w2  (E_local, H, I_stride): w2[e][h][i] = wo[e][i][h].
// Padding rows and columns are zero.
struct FusedWeights {
  std::int64_t num_experts = 0, hidden = 0, intermediate = 0;  // local sizes
  FusedLayout layout;
  std::int64_t intermediate_rows = 0;    // I padded for w13
  std::int64_t hidden_stride = 0;        // row stride of w13
  std::int64_t intermediate_stride = 0;  // row stride of w2
  std::vector<bf16_bits> w13, w2;

  // Row of w13 holding gate (is_up = false) or up (is_up = true) column i of the slice.
  std::int64_t w13_row(std::int64_t i, bool is_up) const;
  std::size_t w13_index(std::int64_t e, std::int64_t row, std::int64_t h) const {
    return static_cast<std::size_t>((e * 2 * intermediate_rows + row) * hidden_stride + h);
  }
  std::size_t w2_index(std::int64_t e, std::int64_t h, std::int64_t i) const {
    return static_cast<std::size_t>((e * hidden + h) * intermediate_stride + i);
  }
};

// Places the slice's values in the fused format of `f`'s geometry: w13 gets gate(e, h, i) and
// up(e, h, i), w2 gets down(e, i, h), for local expert e and slice column i; padding is left as
// it is. One placement for every value type (to_fused_format's bf16, the CPU backend's f32).
template <typename T, typename Gate, typename Up, typename Down>
void place_fused(const FusedWeights& f, T* w13, T* w2, Gate gate, Up up, Down down) {
#pragma omp parallel for collapse(2) schedule(static)
  for (std::int64_t e = 0; e < f.num_experts; ++e) {
    for (std::int64_t h = 0; h < f.hidden; ++h) {
      for (std::int64_t i = 0; i < f.intermediate; ++i) {
        w13[f.w13_index(e, f.w13_row(i, false), h)] = gate(e, h, i);
        w13[f.w13_index(e, f.w13_row(i, true), h)] = up(e, h, i);
        w2[f.w2_index(e, h, i)] = down(e, i, h);
      }
    }
  }
}

FusedWeights to_fused_format(const EpWeights& ep, Range experts, Range inter, const FusedLayout& layout);
// The sizes and strides to_fused_format gives that shard, its value vectors left empty: for a
// reader that lays out values of another type (the CPU backend's f32) in the same format.
FusedWeights fused_geometry(std::int64_t hidden, Range experts, Range inter, const FusedLayout& layout);
// The inverse, for tests: the EP-format shard the fused weights were made from.
EpWeights from_fused_format(const FusedWeights& fused);

}  // namespace moebench
