// What the two fused decode kernels (sm90_fused_moe_decode.cu in bf16, sm90_fused_moe_fp8_decode.cu
// in FP8) do around their pipelines: the launch's ready stamp, the stage barriers, routing every
// token in every CTA, the role split and the last CTA out.
#pragma once

#include "moe_kernels/decode_limits.hpp"
#include "moe_kernels/detail/decode_handoff.cuh"
#include "moe_kernels/detail/decode_routing.cuh"
#include "moe_kernels/detail/kernel_stamps.cuh"
#include "moe_kernels/detail/ptx.cuh"

namespace moe_kernels {

// Args: the kernel's (logits, geometry, router, counters, stage_times). Storage: its shared memory
// (w, the ring the routing scratch lives in until the pipeline starts; full, empty; routes).
// producer(ready_stamp) runs on one warp of the producer warpgroup, finishers(ready_stamp) on its
// other three (with the hand-off, decode_handoff.cuh; else it returns at once),
// consumer(ready_stamp) on the consumer warpgroups;
// kFullArrivals: the arrivals a full barrier waits for.
template <int kProducerRegisters, int kConsumerRegisters, int kFullArrivals, typename Args, typename Storage,
          typename Producer, typename Finishers, typename Consumer>
__device__ __forceinline__ void run_fused_decode(const Args& a, Storage& s, const DecodeCounters& counters,
                                                 Producer producer, Finishers finishers, Consumer consumer) {
  // Every CTA reads the launch count before any CTA can leave (the last one out advances it), so
  // all agree on the stamp that marks what is ready in this launch.
  const int ready_stamp = __ldcg(a.counters + counters.calls()) + 1;
  stamp_stage(a, FusedStage::kRoute);
  if (threadIdx.x == 0) {
    for (int i = 0; i < kDecodeStages; ++i) {
      ptx::mbarrier_init(&s.full[i], kFullArrivals);
      ptx::mbarrier_init(&s.empty[i], kDecodeConsumers);
    }
    init_decode_handoff(s.handoff);
    ptx::fence_barrier_init();
  }
  route_tokens_in_cta(a.logits, a.geometry, a.router, s.w[0], s.routes, [&] { stamp_stage(a, FusedStage::kSort); });
  stamp_stage(a, FusedStage::kGateUp);
  // setmaxnreg needs each role to be one branch of a single if/else.
  if (threadIdx.x >= kDecodeConsumerThreads) {
    ptx::release_registers<kProducerRegisters>();
    if (threadIdx.x < kDecodeFinisherFirstThread) producer(ready_stamp);
    else finishers(ready_stamp);
  } else {
    ptx::claim_registers<kConsumerRegisters>();
    consumer(ready_stamp);
  }
  ptx::cta_sync_all();
  if (threadIdx.x == 0 &&
      atomicAdd(reinterpret_cast<unsigned*>(a.counters + counters.ctas_out()), 1u) == gridDim.x - 1) {
    a.counters[counters.ctas_out()] = 0;
    a.counters[counters.calls()] = ready_stamp;
    stamp_now(&a.stage_times->end_ns);
  }
}

}  // namespace moe_kernels
