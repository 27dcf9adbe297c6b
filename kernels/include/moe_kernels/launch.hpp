// Host launchers of the MoE kernels: raw device pointers, sizes, a stream; they return the CUDA
// status and never print. One family per source file in kernels/src.
#pragma once

#include <cstdint>
#include <cuda.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include "core/activation.hpp"
#include "moe_kernels/moe_types.hpp"

namespace moe_kernels {

// ---- moe_routing.cu: the epmoe pipeline's routing and permutation kernels ----------------------

// topk_ids/weights for every token and per-expert counts (which must be zero on entry).
cudaError_t launch_route_and_count(const float* logits, const MoeGeometry& g, const RouterParams& p,
                                   const RoutingBuffers& r, cudaStream_t stream);
// Offsets and tile prefixes from the counts; resets counts and cursors.
cudaError_t launch_scan_experts(const MoeGeometry& g, const RoutingBuffers& r, cudaStream_t stream);
// Sorted rows: token, weight, and each pair's row.
cudaError_t launch_scatter_pairs(const MoeGeometry& g, const RoutingBuffers& r, cudaStream_t stream);
// permuted_x[row] = x[sorted_token[row]] for every sorted row.
cudaError_t launch_permute_rows(const __nv_bfloat16* x, const MoeGeometry& g, const RoutingBuffers& r,
                                __nv_bfloat16* permuted_x, cudaStream_t stream);
// out[t] = sum_j w[t,j] * y[pair_row[t,j]] (bf16 out, f32 sum).
cudaError_t launch_unpermute(const __nv_bfloat16* y, const MoeGeometry& g, const RoutingBuffers& r,
                             __nv_bfloat16* out, cudaStream_t stream);

// ---- sm90_grouped_gemm.cu: epmoe's grouped GEMMs (persistent, TMA + wgmma) ------------------------

struct GroupedGemmMaps {
  CUtensorMap a;       // 2D (K, rows): permuted_x for gate/up, h for down
  CUtensorMap b;       // 3D (K, rows, expert): gate weights, or down weights
  CUtensorMap b_up;    // 3D: up weights (gate/up GEMM only)
};

// h[row] = act(permuted_x[row] . W_gate[e]^T, permuted_x[row] . W_up[e]^T), e the row's expert.
// Tiles of geometry.block_m rows; the A map's box must have that many rows.
cudaError_t launch_grouped_gate_up(const GroupedGemmMaps& maps, const MoeGeometry& g, const RoutingBuffers& r,
                                   moebench::Activation act, __nv_bfloat16* h, int num_ctas, cudaStream_t stream);
// y[row] = h[row] . W_down[e]^T.
cudaError_t launch_grouped_down(const GroupedGemmMaps& maps, const MoeGeometry& g, const RoutingBuffers& r,
                                __nv_bfloat16* y, int num_ctas, cudaStream_t stream);

// ---- sm90_fused_moe.cu: the fused persistent kernel ------------------------------------------------

struct FusedMoeArgs {
  const __nv_bfloat16* x;     // (T, hidden_stride), padding zero
  const float* logits;        // (T, E)
  CUtensorMap w13;            // 3D (H, 2 * I padded to kGateUpBlock, local experts), gate/up interleaved by kGateUpBlock
  CUtensorMap w2;             // 3D (I, H, local experts)
  CUtensorMap h_map;          // 2D (I, T*k) over h, box rows = geometry.block_m
  __nv_bfloat16* h;           // (T*k, intermediate_stride) workspace
  __nv_bfloat16* y;           // (T*k, hidden_stride) workspace
  __nv_bfloat16* out;         // (T, H)
  unsigned int* barrier;      // 2 words, zero at allocation
  RoutingBuffers routing;
  MoeGeometry geometry;
  RouterParams router;
  moebench::Activation activation;
};

// One cooperative launch: routing, scatter, gate/up GEMM with gathered rows, activation, down
// GEMM, weighted combine into the bf16 output, separated by grid barriers. The tile height is
// args.geometry.block_m (64 or 128).
cudaError_t launch_fused_moe(const FusedMoeArgs& args, int num_ctas, cudaStream_t stream);
// Largest grid the fused kernel with this tile height can keep resident (1 CTA per SM).
cudaError_t fused_moe_max_ctas(int device, int block_m, int* num_ctas);

// ---- tensor_maps.cpp: TMA descriptors ----------------------------------------------------------

// 2D bf16 map over a row-major (rows, cols) matrix with `row_stride` elements between rows;
// box (64 cols, box_rows rows), 128-byte swizzle, zero fill out of bounds.
cudaError_t make_tensor_map_2d(CUtensorMap* map, const void* base, std::uint64_t rows, std::uint64_t cols,
                               std::uint64_t row_stride, std::uint32_t box_rows);
// 3D bf16 map over (depth, rows, cols) row-major with strides in elements; box (64, box_rows, 1).
cudaError_t make_tensor_map_3d(CUtensorMap* map, const void* base, std::uint64_t depth, std::uint64_t rows,
                               std::uint64_t cols, std::uint64_t row_stride, std::uint64_t depth_stride,
                               std::uint32_t box_rows);

}  // namespace moe_kernels
