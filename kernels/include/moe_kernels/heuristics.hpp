// Host-side choices of kernel configuration from the problem, unit-tested without a GPU.
// MOEBENCH_KERNEL_LOG=1 makes the CUDA backend print each choice once.
#pragma once

#include <cstdint>

#include "moe_kernels/moe_types.hpp"

namespace moe_kernels {

// Token rows per tile: 128 (two consumer warpgroups sharing each weight tile) once experts see
// enough tokens to fill them, else 64 (less padding, and with a gathered or TMA-loaded A tile of
// mostly padding the weights stream faster than the extra rows could pay back).
inline int choose_block_m(std::int64_t num_tokens, int top_k, int local_experts) {
  const std::int64_t rows_per_expert = num_tokens * top_k / (local_experts > 0 ? local_experts : 1);
  return rows_per_expert >= 96 ? 2 * kWarpgroupRows : kWarpgroupRows;
}

}  // namespace moe_kernels
