// The FP8 gate/up epilogue: the activation of a consumer's 64 rows x 64 gate/up column pairs,
// quantized per row before the down GEMM reads it. A gate/up tile covers 128 intermediate columns,
// exactly one scale group, split between the two consumers (fp8_pipeline.cuh): each finds its
// rows' amax over its 64 columns (the four lanes of a quad hold a row between them), the two
// consumers swap those through shared memory, and each quantizes its half with the group's scale.
#pragma once

#include <cstdint>

#include "moe_kernels/activation.hpp"
#include "moe_kernels/detail/fp8_quantize.cuh"
#include "moe_kernels/detail/ptx.cuh"
#include "moe_kernels/detail/wgmma.cuh"
#include "moe_kernels/moe_types.hpp"

namespace moe_kernels {

// Named barrier of the two consumer warpgroups' amax swap (after gemm_phase.cuh's ids 1-3).
constexpr int kFp8AmaxBarrier = 4;

// acc: consumer `consumer`'s 64 x 128 tile, columns [0, 64) gate and [64, 128) up of intermediate
// columns n_block * 128 + consumer * 64 + [0, 64). h's rows row_begin + r (r < rows) get their
// codes (columns < col_limit); consumer 0 writes the group's scales. row_amax: this tile's slots
// (Fp8Engine::Storage, by tile parity, so that the next tile's writes never meet this tile's
// reads). The activations overwrite the gate half of acc.
template <typename Act>
__device__ __forceinline__ void store_gate_up_fp8(float (&acc)[64], Act act, const Fp8Rows& h,
                                                  float (&row_amax)[2][kWarpgroupRows], int row_begin, int rows,
                                                  int n_block, int consumer, int col_limit, int thread) {
  const int col_begin = n_block * kGateUpBlock + consumer * (kGateUpBlock / 2);
  float amax[2] = {0.0f, 0.0f};  // the thread's two rows: registers 4g, 4g + 1 and 4g + 2, 4g + 3
#pragma unroll
  for (int reg = 0; reg < 32; ++reg) {
    const int col = col_begin + wgmma::accumulator_coord(reg, thread).col;
    acc[reg] = col < col_limit ? act(acc[reg], acc[reg + 32]) : 0.0f;
    amax[(reg >> 1) & 1] = fmaxf(amax[(reg >> 1) & 1], fabsf(acc[reg]));
  }
  amax[0] = fp8::quad_max(amax[0]);
  amax[1] = fp8::quad_max(amax[1]);
  const int first_row = wgmma::accumulator_coord(0, thread).row;
  if (thread % 4 == 0) {
    row_amax[consumer][first_row] = amax[0];
    row_amax[consumer][first_row + 8] = amax[1];
  }
  ptx::named_sync(kFp8AmaxBarrier, 2 * kProducerThreads);
  const float scale[2] = {fp8::group_scale(fmaxf(amax[0], row_amax[1 - consumer][first_row])),
                          fp8::group_scale(fmaxf(amax[1], row_amax[1 - consumer][first_row + 8]))};
#pragma unroll
  for (int reg = 0; reg < 32; reg += 2) {
    const wgmma::AccumulatorCoord at = wgmma::accumulator_coord(reg, thread);
    const int col = col_begin + at.col;
    if (at.row >= rows || col >= col_limit) continue;
    const float s = scale[(reg >> 1) & 1];
    std::uint8_t* dst = h.codes + static_cast<std::int64_t>(row_begin + at.row) * h.codes_stride + col;
    const std::uint32_t first = fp8::quantize(acc[reg], s);
    if (col + 1 < col_limit) {
      *reinterpret_cast<std::uint16_t*>(dst) = static_cast<std::uint16_t>(first | fp8::quantize(acc[reg + 1], s) << 8);
    } else {
      *dst = static_cast<std::uint8_t>(first);
    }
  }
  if (consumer == 0 && thread % 4 == 0) {
    float* scales = h.scales + static_cast<std::int64_t>(n_block) * h.scale_stride + row_begin;
    if (first_row < rows) scales[first_row] = scale[0];
    if (first_row + 8 < rows) scales[first_row + 8] = scale[1];
  }
}

// The same for the run's activation, chosen once per tile.
__device__ __forceinline__ void store_gate_up_fp8_activation(float (&acc)[64], Activation activation, const Fp8Rows& h,
                                                             float (&row_amax)[2][kWarpgroupRows], int row_begin,
                                                             int rows, int n_block, int consumer, int col_limit,
                                                             int thread) {
  with_activation(activation, [&](auto f) {
    store_gate_up_fp8(acc, f, h, row_amax, row_begin, rows, n_block, consumer, col_limit, thread);
  });
}

}  // namespace moe_kernels
