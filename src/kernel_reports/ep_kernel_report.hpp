// What the expert-parallel fused kernel reports of itself (moe_kernels/ep_progress.hpp), turned
// into words for a stuck run's error line and into spans for --profile. Plain host logic: the
// CUDA layer reads the structs, this formats them.
#pragma once

#include <string>
#include <vector>

#include "core/kernel_stages.hpp"
#include "moe_kernels/ep_progress.hpp"

namespace moebench {

struct GpuProgress {
  int rank;  // global GPU rank
  moe_kernels::EpKernelProgress progress;
};

// "Where each GPU's fused kernel is: GPU rank 0 launch 15 in the down GEMM; ..." plus any
// invariant a kernel stopped on.
std::string describe_ep_progress(const std::vector<GpuProgress>& gpus);

// One GPU's CTAs (MOEBENCH_EP_TRACE=1): how many sit in a grid barrier or in a GEMM phase, and
// the first few that do not wait in a grid barrier or still have a role in a GEMM phase.
// `consumers`: consumer warpgroups per CTA (1 or 2).
std::string describe_cta_traces(int rank, const std::vector<moe_kernels::EpCtaTrace>& ctas, int consumers);

// The last launch's stages on each GPU (`device`: the CUDA device of each entry, in order), from
// CTA 0's timestamps; stages never stamped are left out.
KernelStages ep_kernel_stages(const std::vector<moe_kernels::EpKernelProgress>& by_device);

}  // namespace moebench
