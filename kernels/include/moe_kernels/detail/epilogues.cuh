// What a consumer warpgroup does with its finished 64 x 256 accumulator tile: the gated activation
// into h, or a bf16 store of y rows (in place, or each row to its own destination).
#pragma once

#include <cstdint>
#include <cuda_bf16.h>

#include "core/activation.hpp"
#include "moe_kernels/detail/wgmma.cuh"

namespace moe_kernels {

// Tile columns [0, 128) hold gate, [128, 256) up, for intermediate columns col_begin + [0, 128).
// h[row][col] = act(gate, up) for rows < `rows` and columns < `col_limit` (the row stride).
__device__ __forceinline__ void store_gate_up_activation(const float (&acc)[128], moebench::Activation act,
                                                         __nv_bfloat16* h, int h_stride, int row_begin, int rows,
                                                         int col_begin, int col_limit, int thread) {
#pragma unroll
  for (int reg = 0; reg < 64; reg += 2) {  // the gate half: register groups 0..15
    const wgmma::AccumulatorCoord at = wgmma::accumulator_coord(reg, thread);
    const int col = col_begin + at.col;
    if (at.row >= rows || col >= col_limit) continue;
    const float a0 = moebench::apply_activation(act, acc[reg], acc[reg + 64]);
    const float a1 = moebench::apply_activation(act, acc[reg + 1], acc[reg + 65]);
    *reinterpret_cast<__nv_bfloat162*>(h + static_cast<std::int64_t>(row_begin + at.row) * h_stride + col) =
        __floats2bfloat162_rn(a0, a1);
  }
}

// y[row][col] = acc as bf16, rows < `rows`, columns < `col_limit`.
__device__ __forceinline__ void store_rows_bf16(const float (&acc)[128], __nv_bfloat16* y, int y_stride, int row_begin,
                                                int rows, int col_begin, int col_limit, int thread) {
#pragma unroll
  for (int reg = 0; reg < 128; reg += 2) {
    const wgmma::AccumulatorCoord at = wgmma::accumulator_coord(reg, thread);
    const int col = col_begin + at.col;
    if (at.row >= rows || col >= col_limit) continue;
    *reinterpret_cast<__nv_bfloat162*>(y + static_cast<std::int64_t>(row_begin + at.row) * y_stride + col) =
        __floats2bfloat162_rn(acc[reg], acc[reg + 1]);
  }
}

// As store_rows_bf16, each row to its own destination: row_pointer(r) is where row r (< rows) of
// the tile goes, possibly on a peer GPU. A thread holds two rows of the accumulator (the wgmma
// layout), so it asks for two pointers.
template <typename RowPointer>
__device__ __forceinline__ void store_rows_bf16_routed(const float (&acc)[128], RowPointer row_pointer, int rows,
                                                       int col_begin, int col_limit, int thread) {
  const int first_row = wgmma::accumulator_coord(0, thread).row;
  __nv_bfloat16* const destination[2] = {first_row < rows ? row_pointer(first_row) : nullptr,
                                         first_row + 8 < rows ? row_pointer(first_row + 8) : nullptr};
#pragma unroll
  for (int reg = 0; reg < 128; reg += 2) {
    const wgmma::AccumulatorCoord at = wgmma::accumulator_coord(reg, thread);
    const int col = col_begin + at.col;
    __nv_bfloat16* row = destination[at.row == first_row ? 0 : 1];
    if (row == nullptr || col >= col_limit) continue;
    *reinterpret_cast<__nv_bfloat162*>(row + col) = __floats2bfloat162_rn(acc[reg], acc[reg + 1]);
  }
}

}  // namespace moe_kernels
