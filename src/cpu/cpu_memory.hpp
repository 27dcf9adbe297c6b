// How much host memory the CPU backend needs for a plan, computed before anything is allocated,
// so that a run that cannot fit is refused with the numbers instead of dying halfway.
#pragma once

#include <string>

#include "core/plan.hpp"

namespace moebench {

struct MemoryEstimate {
  double weights = 0;      // every copy of the weights the run holds at its peak
  double activations = 0;  // inputs, outputs and scratch for the largest token count
  double total() const { return weights + activations; }
  std::string describe() const;
};

// bf16 weights as generated, then f32 copies per implementation.
MemoryEstimate estimate_cpu_memory(const BenchmarkPlan& plan);

}  // namespace moebench
