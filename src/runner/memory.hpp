// How much memory a plan needs, computed before anything is allocated, so that a run that cannot
// fit is refused with the numbers instead of dying halfway.
#pragma once

#include <cstdint>
#include <string>

#include "runner/plan.hpp"

namespace moebench {

struct MemoryEstimate {
  double weights = 0;      // every copy of the weights the run holds at its peak
  double activations = 0;  // inputs, outputs and scratch for the largest token count
  double total() const { return weights + activations; }
  std::string describe() const;
};

// Host memory for the CPU backend: bf16 weights as generated, then f32 copies per implementation.
MemoryEstimate estimate_cpu_memory(const BenchmarkPlan& plan);

// Bytes of MemAvailable in /proc/meminfo; 0 when unknown.
std::uint64_t available_host_memory();

std::string format_bytes(double bytes);

}  // namespace moebench
