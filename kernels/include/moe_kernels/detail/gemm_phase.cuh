// A persistent GEMM phase with dynamic tile scheduling: the producer warpgroup takes the next tile
// from a global counter, hands its index to the consumers through a two-slot shared-memory ring,
// and loads it; each consumer warpgroup multiplies its 64 rows and passes the accumulators to the
// epilogue. Taking tiles in order as CTAs free up keeps the CTAs that share a weight tile in step
// (their second read of it hits L2) and balances tiles of unequal height. Called from inside the
// role branches, `role` 0 for the producer and 1 + consumer index otherwise.
#pragma once

#include "moe_kernels/detail/moe_schedule.cuh"
#include "moe_kernels/detail/tile_pipeline.cuh"
#include "moe_kernels/ep_progress.hpp"

namespace moe_kernels {

struct PhaseTiles {
  const std::int32_t* prefix;   // per-expert tile prefix (local_experts + 1)
  const std::int32_t* offsets;  // per-expert first sorted row (local_experts + 1)
  int local_experts;
  int k_steps;
  int block_m;
  std::int32_t* counter;        // next tile to hand out, zero at the start of the phase
  TileTrace* trace = nullptr;   // this CTA's record in host-mapped memory, or null (ep_progress.hpp)
};


// Producer warpgroup's barrier id for its internal handshake (0 is the CTA-wide one).
constexpr int kProducerBarrier = 1;

// Registers per thread once the producer warpgroup hands its share to two consumers.
constexpr int kProducerRegisters = 40;
constexpr int kConsumerRegisters = 232;

// Runs body(role) in the warp-specialised roles, role 0 the producer warpgroup and 1 + consumer
// index the others. With two consumers the producer first gives registers to them; setmaxnreg
// needs each role to be one branch of a single if/else, hence the body appears in both.
template <int kConsumers, typename Body>
__device__ __forceinline__ void run_roles(Body body) {
  const int role = threadIdx.x / kProducerThreads;
  if (role == 0) {
    if constexpr (kConsumers == 2) ptx::release_registers<kProducerRegisters>();
    body(role);
  } else {
    if constexpr (kConsumers == 2) ptx::claim_registers<kConsumerRegisters>();
    body(role);
  }
}

// make_load(coord, producer_thread) -> TileLoad; epilogue(coord, acc, row_offset, consumer_thread),
// row_offset being the consumer's first row within the tile.
template <int kConsumers, typename MakeLoad, typename Epilogue>
__device__ __forceinline__ void run_gemm_phase(typename Engine<kConsumers>::Storage& s, PipelineState& state,
                                               const PhaseTiles& phase, int role, MakeLoad make_load,
                                               Epilogue epilogue) {
  const int num_tiles = __ldcg(&phase.prefix[phase.local_experts]);
  const int thread = threadIdx.x % kProducerThreads;
  TileTrace* const trace = thread == 0 ? phase.trace : nullptr;
  unsigned traced = 0;
  if (trace != nullptr) {
    if (role == 0) ptx::store_volatile(&trace->num_tiles, static_cast<unsigned>(num_tiles));
    ptx::store_volatile(&trace->left[role], 0u);
  }
  for (;;) {
    StageRing& slot = state.tiles;
    int tile;
    if (role == 0) {
      if (thread == 0) {
        ptx::mbarrier_wait(&s.tile_empty[slot.stage], slot.phase ^ 1u);
        s.tile_ids[slot.stage] = atomicAdd(phase.counter, 1);
        ptx::mbarrier_arrive(&s.tile_full[slot.stage]);
      }
      // Thread 0 writes this slot again two tiles later, after the next handshake, which every
      // producer thread reaches only once it has read the slot.
      ptx::named_sync(kProducerBarrier, kProducerThreads);
      tile = s.tile_ids[slot.stage];
    } else {
      ptx::mbarrier_wait(&s.tile_full[slot.stage], slot.phase);
      tile = s.tile_ids[slot.stage];
      ptx::mbarrier_arrive(&s.tile_empty[slot.stage]);
    }
    slot.advance<2>();
    if (tile >= num_tiles) {
      if (trace != nullptr) ptx::store_volatile(&trace->left[role], 1u);
      return;
    }
    if (trace != nullptr && role == 0) {
      ptx::store_volatile(&trace->taken, ++traced);
      ptx::store_volatile(&trace->last_taken, static_cast<unsigned>(tile));
    }

    const TileCoord coord = decode_tile(tile, phase.prefix, phase.offsets, phase.local_experts, phase.block_m);
    if (role == 0) {
      const TileLoad load = make_load(coord, thread);
      produce_tile<kConsumers>(s, state.stages, load, phase.k_steps, thread);
    } else {
      float acc[128];
      const int consumer = role - 1;
      const bool active = coord.rows > consumer * kWarpgroupRows;
      consume_tile<kConsumers>(s, state.stages, phase.k_steps, acc, consumer, active, thread);
      if (active) epilogue(coord, acc, consumer * kWarpgroupRows, thread);
      if (trace != nullptr) {
        ptx::store_volatile(&trace->finished[consumer], ++traced);
        ptx::store_volatile(&trace->last_finished[consumer], static_cast<unsigned>(tile));
      }
    }
  }
}

}  // namespace moe_kernels
