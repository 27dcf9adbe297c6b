// The FP8 gate/up epilogue: the activation of a consumer's 64 rows x 128 gate/up column pairs,
// quantized per row before the down GEMM reads it. A gate/up tile covers 128 intermediate columns,
// exactly one scale group, and each consumer holds all of them for its rows (fp8_pipeline.cuh):
// the four lanes of a quad hold a row between them, so a row's amax is a quad reduction.
#pragma once

#include <cstdint>

#include "moe_kernels/activation.hpp"
#include "moe_kernels/detail/fp8_quantize.cuh"
#include "moe_kernels/detail/ptx.cuh"
#include "moe_kernels/detail/wgmma.cuh"
#include "moe_kernels/moe_types.hpp"

namespace moe_kernels {

// Where gate/up tile register `reg` (of the gate registers, [0, 32) and [64, 96)) lies among the
// tile's 128 intermediate columns. B's quarters are gate and up of columns [0, 64), then gate and
// up of [64, 128) (Fp8TileLoad), so acc[reg + 32] is the up value of gate register reg.
__device__ __forceinline__ int gate_up_column(int reg, int thread) {
  return reg < 64 ? wgmma::accumulator_coord(reg, thread).col : 64 + wgmma::accumulator_coord(reg - 64, thread).col;
}

// acc: a consumer's 64 x 256 gate/up tile. h's rows row_begin + r (r < rows) get their codes of
// intermediate columns n_block * 128 + [0, 128) (those < col_limit) and their scale of group
// n_block. The activations overwrite the gate registers of acc.
template <typename Act>
__device__ __forceinline__ void store_gate_up_fp8(float (&acc)[128], Act act, const Fp8Rows& h, int row_begin, int rows,
                                                  int n_block, int col_limit, int thread) {
  const int col_begin = n_block * kGateUpBlock;
  float amax[2] = {0.0f, 0.0f};  // the thread's two rows: registers 4g, 4g + 1 and 4g + 2, 4g + 3
#pragma unroll
  for (int reg = 0; reg < 128; ++reg) {
    if ((reg & 32) != 0) continue;  // the up registers
    const int col = col_begin + gate_up_column(reg, thread);
    acc[reg] = col < col_limit ? act(acc[reg], acc[reg + 32]) : 0.0f;
    amax[(reg >> 1) & 1] = fmaxf(amax[(reg >> 1) & 1], fabsf(acc[reg]));
  }
  const float scale[2] = {fp8::group_scale(fp8::quad_max(amax[0])), fp8::group_scale(fp8::quad_max(amax[1]))};
  const int first_row = wgmma::accumulator_coord(0, thread).row;
#pragma unroll
  for (int reg = 0; reg < 128; reg += 2) {
    if ((reg & 32) != 0) continue;
    const int row = first_row + ((reg & 2) ? 8 : 0);
    const int col = col_begin + gate_up_column(reg, thread);
    if (row >= rows || col >= col_limit) continue;
    const float s = scale[(reg >> 1) & 1];
    std::uint8_t* dst = h.codes + static_cast<std::int64_t>(row_begin + row) * h.codes_stride + col;
    const std::uint32_t first = fp8::quantize(acc[reg], s);
    if (col + 1 < col_limit) {
      *reinterpret_cast<std::uint16_t*>(dst) = static_cast<std::uint16_t>(first | fp8::quantize(acc[reg + 1], s) << 8);
    } else {
      *dst = static_cast<std::uint8_t>(first);
    }
  }
  if (thread % 4 == 0) {
    float* scales = h.scales + static_cast<std::int64_t>(n_block) * h.scale_stride + row_begin;
    if (first_row < rows) scales[first_row] = scale[0];
    if (first_row + 8 < rows) scales[first_row + 8] = scale[1];
  }
}

// The same for the run's activation, chosen once per tile.
__device__ __forceinline__ void store_gate_up_fp8_activation(float (&acc)[128], Activation activation, const Fp8Rows& h,
                                                             int row_begin, int rows, int n_block, int col_limit,
                                                             int thread) {
  with_activation(activation,
                  [&](auto f) { store_gate_up_fp8(acc, f, h, row_begin, rows, n_block, col_limit, thread); });
}

}  // namespace moe_kernels
