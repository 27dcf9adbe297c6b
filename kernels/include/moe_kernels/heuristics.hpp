// Host-side choices of kernel configuration from the problem, unit-tested without a GPU.
#pragma once

#include <cstdint>

#include "moe_kernels/moe_types.hpp"

namespace moe_kernels {

// Token rows per tile: 128 (two consumer warpgroups sharing each weight tile) once an expert's
// rows fill most of a 64-row tile, so that an expert with 65-128 rows reads its weights once in
// one tile instead of twice across two; else 64 (less padding to multiply).
inline int choose_block_m(std::int64_t num_tokens, int top_k, int local_experts) {
  const std::int64_t rows_per_expert = num_tokens * top_k / (local_experts > 0 ? local_experts : 1);
  return rows_per_expert >= 48 ? 2 * kWarpgroupRows : kWarpgroupRows;
}

// Whether the fused kernel starts its down tiles as their rows' gate/up tiles finish
// (RoutingBuffers::row_block_done) instead of after a grid barrier. The barrier also starts every
// CTA's first down tile at once, so the CTAs sharing a weight tile stream it in step and HBM reads
// it once; without it they start up to a gate/up tile apart and stay so. With long down tiles
// (Mixtral-8x7B: 224 K steps, a 7 MB weight tile shared by up to 32 CTAs) the followers then miss
// in L2, 2-4% slower at T=16384; with short ones (Qwen: 12-22 steps) the overlap wins 2-4%.
inline bool overlap_gate_up_and_down(int intermediate) { return ceil_div(intermediate, kBlockK) <= 64; }

}  // namespace moe_kernels
