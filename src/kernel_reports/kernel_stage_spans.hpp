// Kernels that time themselves stamp the start of each stage and their end on the GPU's clock;
// these turn the stamps into --profile's spans. Plain host logic.
#pragma once

#include <cstdint>
#include <span>

#include "core/kernel_stages.hpp"
#include "moe_kernels/fused_stages.hpp"

namespace moebench {

// Stage s of `starts` runs from its stamp to the next stage's (the last one to `end_ns`), named
// name(s); a stage without both stamps (0: never reached this launch) is left out.
template <typename Name>
void append_stage_spans(KernelStages& stages, int device, std::span<const unsigned long long> starts,
                        unsigned long long end_ns, Name name) {
  for (std::size_t s = 0; s < starts.size(); ++s) {
    const std::uint64_t begin = starts[s];
    const std::uint64_t end = s + 1 < starts.size() ? starts[s + 1] : end_ns;
    if (begin != 0 && end >= begin) stages.spans.push_back({device, name(static_cast<int>(s)), begin, end});
  }
}

// The one-GPU fused kernel's last launch on CUDA device `device`; `kernel` names it as the
// trace does (the tiled kernel, or the decode kernel up to 64 tokens).
KernelStages fused_kernel_stages(const moe_kernels::FusedStageTimes& times, int device,
                                 const char* kernel = "fused_moe_kernel");

}  // namespace moebench
