// The CPU backend's two MoE paths over a simulated EP x TP mesh: one process plays every device,
// each device touching only what it owns, so the sharding logic runs and is tested without GPUs.
#pragma once

#include <memory>

#include "backend/implementation.hpp"
#include "core/problem.hpp"
#include "core/weights.hpp"

namespace moebench::cpu {

std::unique_ptr<MoeImplementation> make_cpu_epmoe(const Problem& problem, const EpWeights& weights);
std::unique_ptr<MoeImplementation> make_cpu_fused(const Problem& problem, const EpWeights& weights);

// Intermediate columns per gate/up block in the CPU fused weights (any value is correct; the
// GPU kernel picks its own from its tile shape).
constexpr std::int64_t kCpuFusedInterleave = 64;

}  // namespace moebench::cpu
