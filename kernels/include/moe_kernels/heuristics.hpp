// Host-side choices of kernel configuration from the problem, unit-tested without a GPU.
// MOEBENCH_KERNEL_LOG=1 makes the CUDA backend print each choice once.
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

}  // namespace moe_kernels
