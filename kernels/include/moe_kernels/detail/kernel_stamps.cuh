// A kernel timing itself (ep_progress.hpp, fused_stages.hpp): %globaltimer stamps stored where the
// host reads them (host-mapped memory), at a stage's start by one thread and at the launch's end
// by the last CTA out.
#pragma once

#include "moe_kernels/detail/ptx.cuh"
#include "moe_kernels/fused_stages.hpp"

namespace moe_kernels {

__device__ __forceinline__ void stamp_now(unsigned long long* at) {
  ptx::store_volatile(at, static_cast<unsigned long long>(ptx::globaltimer_ns()));
}

// CTA 0 stamps the start of a fused kernel's phase (Args: the kernel's, with stage_times).
template <typename Args>
__device__ __forceinline__ void stamp_stage(const Args& a, FusedStage stage) {
  if (blockIdx.x == 0 && threadIdx.x == 0) stamp_now(&a.stage_times->start_ns[static_cast<int>(stage)]);
}

// Every thread calls this at the very end: the last CTA out stamps *end_ns. `ctas_out` counts
// the CTAs that left, zero between launches (the last one resets it).
__device__ __forceinline__ void stamp_last_cta_out(unsigned int* ctas_out, unsigned long long* end_ns) {
  ptx::cta_sync_all();
  if (threadIdx.x == 0 && atomicAdd(ctas_out, 1u) == gridDim.x - 1) {
    *ctas_out = 0;
    stamp_now(end_ns);
  }
}

}  // namespace moe_kernels
