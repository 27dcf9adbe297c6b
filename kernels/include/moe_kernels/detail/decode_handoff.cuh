// The decode kernels' hand-off of finished units, from the consumer warpgroups to the finishers
// (the producer warpgroup's three warps that load nothing). A consumer that has multiplied a unit
// and issued its stores (partial sums by red.add, or a whole tile's output) posts it and starts the
// next unit's stages at once. The finishers take the posted units in the same order and do what
// used to hold the consumers after every unit: the fence and the counter's round trip to L2, and
// in the CTA that completes a tile or an output block, reading its sums back and writing it. Under
// a full HBM stream each of those round trips takes microseconds (the decode timeline measured a
// median 4.6 us after a unit's mainloop at Qwen3-30B-A3B T=1), and while the consumers wait the
// stage ring fills and the SM stops streaming; with the hand-off the ring keeps draining. Whether
// a kernel hands its units off or finishes them on the consumers (as before) is the launch's
// choice (DecodeFinish, decode_limits.hpp), until the two are timed against each other on a GPU.
#pragma once

#include <cstdint>

#include "moe_kernels/decode_limits.hpp"
#include "moe_kernels/detail/ptx.cuh"
#include "moe_kernels/detail/tile_pipeline.cuh"

namespace moe_kernels {

// Posted units a CTA's consumers may run ahead of its finishers.
constexpr int kDecodeHandoffSlots = 4;
// The finishers: warps 1 to 3 of the producer warpgroup (warp 0 loads).
constexpr int kDecodeFinisherThreads = kProducerThreads - 32;
constexpr int kDecodeFinisherFirstThread = kDecodeConsumerThreads + 32;
// Named barriers (0 is the CTA's): the consumer warpgroups', the finishers'.
constexpr int kDecodeConsumerBarrier = 1;
constexpr int kDecodeFinisherBarrier = 2;

struct DecodeHandoff {
  std::uint64_t posted[kDecodeHandoffSlots];  // consumer thread 0 arrives: the unit's stores are issued
  std::uint64_t taken[kDecodeHandoffSlots];   // every finisher thread arrives once it has seen the post
  int last_arrival;                           // count_and_check_last's answer to its team
};

// Thread 0, with the stage barriers (before their fence_barrier_init).
__device__ __forceinline__ void init_decode_handoff(DecodeHandoff& handoff) {
  for (int i = 0; i < kDecodeHandoffSlots; ++i) {
    ptx::mbarrier_init(&handoff.posted[i], 1);
    ptx::mbarrier_init(&handoff.taken[i], kDecodeFinisherThreads);
  }
}

// The roles of a decode kernel's threads, each with its registers (setmaxnreg needs each role to
// be one branch of a single if/else): producer() on warp 0 of the producer warpgroup, finishers()
// on its other three (which return at once without the hand-off), consumer() on the consumer
// warpgroups.
template <int kProducerRegisters, int kConsumerRegisters, typename Producer, typename Finishers, typename Consumer>
__device__ __forceinline__ void run_decode_roles(Producer producer, Finishers finishers, Consumer consumer) {
  if (threadIdx.x >= kDecodeConsumerThreads) {
    ptx::release_registers<kProducerRegisters>();
    if (threadIdx.x < kDecodeFinisherFirstThread) producer();
    else finishers();
  } else {
    ptx::claim_registers<kConsumerRegisters>();
    consumer();
  }
}

// Every consumer thread, once its stores of a unit are issued. The named barrier makes them all
// visible to thread 0 before its arrival (a release), and the finishers' wait (an acquire) passes
// them on to the fence before their counter add. Thread 0 waits only while the finishers are
// kDecodeHandoffSlots units behind.
__device__ __forceinline__ void post_unit(DecodeHandoff& handoff, StageRing& ring, int thread) {
  ptx::named_sync(kDecodeConsumerBarrier, kDecodeConsumerThreads);
  if (thread == 0) {
    ptx::mbarrier_wait(&handoff.taken[ring.stage], ring.phase ^ 1u);
    ptx::mbarrier_arrive(&handoff.posted[ring.stage]);
  }
  ring.advance<kDecodeHandoffSlots>();
}

// Every finisher thread, once per unit in the consumers' order: waits for its post. Each thread's
// arrival on `taken` keeps the consumers from posting into the slot again before every finisher
// has seen this phase of it.
__device__ __forceinline__ void take_unit(DecodeHandoff& handoff, StageRing& ring) {
  ptx::mbarrier_wait(&handoff.posted[ring.stage], ring.phase);
  ptx::mbarrier_arrive(&handoff.taken[ring.stage]);
  ring.advance<kDecodeHandoffSlots>();
}

// The threads that finish a unit: the consumer warpgroups themselves (DecodeFinish::kInline) or
// the finishers (kHandoff). `thread`: within the team.
template <int kTeamThreads, int kTeamBarrier>
struct DecodeTeam {
  static constexpr int kThreads = kTeamThreads;
  int thread;
  __device__ __forceinline__ void sync() const { ptx::named_sync(kTeamBarrier, kTeamThreads); }
};
using ConsumerTeam = DecodeTeam<kDecodeConsumerThreads, kDecodeConsumerBarrier>;
using FinisherTeam = DecodeTeam<kDecodeFinisherThreads, kDecodeFinisherBarrier>;

// The calling finisher thread's team.
__device__ __forceinline__ FinisherTeam this_finisher() {
  return FinisherTeam{static_cast<int>(threadIdx.x) - kDecodeFinisherFirstThread};
}

// The team, once each thread's share of a unit's stores is issued: thread 0 adds `steps` to
// *counter. Returns, to every thread of the team, whether that add completed `total`; then the
// counter is back at zero and what the other CTAs stored before their adds is visible (read it
// with __ldcg). The named barrier hands thread 0 the team's stores (or, for the finishers, what
// they acquired from the consumers' post) before its fence.
template <typename Team>
__device__ __forceinline__ bool count_and_check_last(DecodeHandoff& handoff, int* counter, int steps, int total,
                                                     Team team) {
  team.sync();
  if (team.thread == 0) {
    __threadfence();
    const bool last = atomicAdd(counter, steps) + steps == total;
    if (last) {
      *counter = 0;
      __threadfence();
    }
    handoff.last_arrival = last ? 1 : 0;
  }
  team.sync();
  return handoff.last_arrival != 0;
}

}  // namespace moe_kernels
