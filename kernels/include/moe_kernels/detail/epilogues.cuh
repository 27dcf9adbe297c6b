// What a consumer warpgroup does with its finished 64 x 256 accumulator tile, and with its share of
// a tile's tail rows: the gated activation into h, or a bf16 store of y rows (in place, or each
// row to its own destination).
#pragma once

#include <cstdint>
#include <cuda_bf16.h>

#include "moe_kernels/activation.hpp"
#include "moe_kernels/detail/wgmma.cuh"

namespace moe_kernels {

// Tile columns [0, 128) hold gate, [128, 256) up, for intermediate columns col_begin + [0, 128).
// h[row][col] = act(gate, up) for rows < `rows` and columns < `col_limit` (the row stride).
template <typename Act>
__device__ __forceinline__ void store_gate_up(const float (&acc)[128], Act act, __nv_bfloat16* h, int h_stride,
                                              int row_begin, int rows, int col_begin, int col_limit, int thread) {
#pragma unroll
  for (int reg = 0; reg < 64; reg += 2) {  // the gate half: register groups 0..15
    const wgmma::AccumulatorCoord at = wgmma::accumulator_coord(reg, thread);
    const int col = col_begin + at.col;
    if (at.row >= rows || col >= col_limit) continue;
    *reinterpret_cast<__nv_bfloat162*>(h + static_cast<std::int64_t>(row_begin + at.row) * h_stride + col) =
        __floats2bfloat162_rn(act(acc[reg], acc[reg + 64]), act(acc[reg + 1], acc[reg + 65]));
  }
}

// The same for the run's activation, chosen once per tile rather than per element.
__device__ __forceinline__ void store_gate_up_activation(const float (&acc)[128], Activation act, __nv_bfloat16* h,
                                                         int h_stride, int row_begin, int rows, int col_begin,
                                                         int col_limit, int thread) {
  with_activation(act,
                  [&](auto f) { store_gate_up(acc, f, h, h_stride, row_begin, rows, col_begin, col_limit, thread); });
}

// A consumer's share of a gate/up tile's tail (tile_pipeline.cuh: TailAccumulators): block 0
// holds gate and block 1 up of intermediate columns col_begin + [0, 64), by tail row.
// h[row_begin + t][col] = act(gate, up) for tail rows t < `rows` and columns < `col_limit`.
// Each thread's values are one column apart by eight, so the stores are 2 bytes each: a tail has
// at most 32 rows, a few thousand values against the tile's 128 x 128.
template <int kRegisters>
__device__ __forceinline__ void store_gate_up_tail(const float (&gate)[kRegisters], const float (&up)[kRegisters],
                                                   Activation activation, __nv_bfloat16* h, int h_stride, int row_begin,
                                                   int rows, int col_begin, int col_limit, int thread) {
  auto store = [&](auto act) {
#pragma unroll
    for (int reg = 0; reg < kRegisters; ++reg) {
      const wgmma::AccumulatorCoord at = wgmma::accumulator_coord(reg, thread);
      const int col = col_begin + at.row;
      if (at.col >= rows || col >= col_limit) continue;
      h[static_cast<std::int64_t>(row_begin + at.col) * h_stride + col] = __float2bfloat16_rn(act(gate[reg], up[reg]));
    }
  };
  with_activation(activation, store);
}

// A consumer's share of a down tile's tail, one 64-column block of the output: y[row_begin + t]
// [col_begin + c] = block as bf16 for tail rows t < `rows`, columns < `col_limit`.
template <int kRegisters>
__device__ __forceinline__ void store_rows_tail_bf16(const float (&block)[kRegisters], __nv_bfloat16* y, int y_stride,
                                                     int row_begin, int rows, int col_begin, int col_limit,
                                                     int thread) {
#pragma unroll
  for (int reg = 0; reg < kRegisters; ++reg) {
    const wgmma::AccumulatorCoord at = wgmma::accumulator_coord(reg, thread);
    const int col = col_begin + at.row;
    if (at.col >= rows || col >= col_limit) continue;
    y[static_cast<std::int64_t>(row_begin + at.col) * y_stride + col] = __float2bfloat16_rn(block[reg]);
  }
}

// y rows of a tile as bf16, each to its own destination (row_pointer(r) for r < rows, possibly on
// a peer GPU), columns < `col_limit` (a multiple of 8: a row stride), 16 bytes a store. In the
// wgmma layout the four threads of a quad hold 8 adjacent columns of a row between them, 2 each;
// a transpose within the quad over 4 adjacent column groups gives each thread 8 whole columns, so
// one warp store writes 64 contiguous bytes of each of 8 rows instead of 16: a quarter of the
// store instructions, and NVLink packets four times as full.
template <typename RowPointer>
__device__ __forceinline__ void store_rows_bf16_routed(const float (&acc)[128], RowPointer row_pointer, int rows,
                                                       int col_begin, int col_limit, int thread) {
  const int lane = thread % 32, quad_lane = lane % 4, quad_base = lane & ~3;
  const int first_row = wgmma::accumulator_coord(0, thread).row;
  const int warp_first_row = thread / 32 * 16;  // the warp's rows: [warp_first_row, + 16)
  if (warp_first_row >= rows) return;           // whole warp: its shuffles stay paired
  __nv_bfloat16* const destination[2] = {first_row < rows ? row_pointer(first_row) : nullptr,
                                         first_row + 8 < rows ? row_pointer(first_row + 8) : nullptr};
  auto pick = [](const std::uint32_t(&v)[4], int i) { return i == 0 ? v[0] : i == 1 ? v[1] : i == 2 ? v[2] : v[3]; };
#pragma unroll
  for (int half = 0; half < 2; ++half) {  // registers 0-1 of each group: first_row; 2-3: first_row + 8
    if (warp_first_row + 8 * half >= rows) break;
#pragma unroll
    for (int group0 = 0; group0 < 32; group0 += 4) {
      std::uint32_t mine[4];  // this thread's 2 columns of groups group0 .. group0 + 3
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        const __nv_bfloat162 pair =
            __floats2bfloat162_rn(acc[4 * (group0 + i) + 2 * half], acc[4 * (group0 + i) + 2 * half + 1]);
        mine[i] = *reinterpret_cast<const std::uint32_t*>(&pair);
      }
      // Round r: read quad lane (q + r) % 4's columns of group group0 + q.
      std::uint32_t columns[4] = {0, 0, 0, 0};
#pragma unroll
      for (int r = 0; r < 4; ++r) {
        const int source = (quad_lane + r) & 3;
        const std::uint32_t send = pick(mine, (quad_lane - r) & 3);
        const std::uint32_t got = r == 0 ? send : __shfl_sync(0xffffffffu, send, quad_base | source);
#pragma unroll
        for (int p = 0; p < 4; ++p) columns[p] = p == source ? got : columns[p];
      }
      const int col = col_begin + 8 * (group0 + quad_lane);
      if (destination[half] != nullptr && col < col_limit)
        *reinterpret_cast<uint4*>(destination[half] + col) = make_uint4(columns[0], columns[1], columns[2], columns[3]);
    }
  }
}

// y[row_begin + r][col] = acc as bf16, rows r < `rows`, columns < `col_limit`, 4 bytes a store;
// acc is a 64 x 256 tile (128 registers) or, from the FP8 engine, 64 x 128 (64).
template <int kRegisters>
__device__ __forceinline__ void store_rows_bf16(const float (&acc)[kRegisters], __nv_bfloat16* y, int y_stride,
                                                int row_begin, int rows, int col_begin, int col_limit, int thread) {
#pragma unroll
  for (int reg = 0; reg < kRegisters; reg += 2) {
    const wgmma::AccumulatorCoord at = wgmma::accumulator_coord(reg, thread);
    const int col = col_begin + at.col;
    if (at.row >= rows || col >= col_limit) continue;
    *reinterpret_cast<__nv_bfloat162*>(y + static_cast<std::int64_t>(row_begin + at.row) * y_stride + col) =
        __floats2bfloat162_rn(acc[reg], acc[reg + 1]);
  }
}

// The same through store_rows_bf16_routed's 16-byte stores. On one GPU this pays with 128-row
// tiles (compute-bound GEMMs, where the epilogue's store instructions hold up the next tile: 4-5%
// at T >= 4096 on H100) and costs 1-5% with 64-row tiles (bench/notes.md), so the kernels pick by
// tile height.
__device__ __forceinline__ void store_rows_bf16_wide(const float (&acc)[128], __nv_bfloat16* y, int y_stride,
                                                     int row_begin, int rows, int col_begin, int col_limit,
                                                     int thread) {
  store_rows_bf16_routed(
      acc, [&](int r) { return y + static_cast<std::int64_t>(row_begin + r) * y_stride; }, rows, col_begin, col_limit,
      thread);
}

}  // namespace moe_kernels
