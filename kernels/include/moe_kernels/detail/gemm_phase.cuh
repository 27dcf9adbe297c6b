// A persistent GEMM phase with dynamic tile scheduling: the producer warpgroup takes the next tile
// from a global counter, hands it decoded to the consumers through a two-slot shared-memory ring,
// and loads it; each consumer warpgroup multiplies its 64 rows and passes the accumulators to the
// epilogue. Taking tiles in order as CTAs free up keeps the CTAs that share a weight tile in step
// (their second read of it hits L2) and balances tiles of unequal height. Called from inside the
// role branches, `role` 0 for the producer and 1 + consumer index otherwise.
#pragma once

#include <type_traits>

#include "moe_kernels/detail/fp8_pipeline.cuh"
#include "moe_kernels/detail/moe_schedule.cuh"
#include "moe_kernels/detail/tile_pipeline.cuh"
#include "moe_kernels/ep_progress.hpp"
#include "moe_kernels/fused_stages.hpp"

namespace moe_kernels {

struct PhaseTiles {
  const std::int32_t* prefix;   // tile prefix by position in the tile order (local_experts + 1)
  const std::int32_t* offsets;  // per-expert first sorted row (local_experts + 1)
  int local_experts;
  int k_steps;
  int block_m;
  SpillRule spill;             // the tails tiles carry (MoeGeometry::spill)
  int n_blocks;                // tiles per row block (output blocks)
  std::int32_t* counter;       // next tile to hand out, zero at the start of the phase
  TileTrace* trace = nullptr;  // this CTA's record in host-mapped memory, or null (ep_progress.hpp)
  // Row-block readiness between two phases (RoutingBuffers::row_block_done), or null: each
  // consumer warpgroup of this phase counts its finished tiles into done_signal[row block]; the
  // producer of this phase loads a tile only once done_wait[row block] reaches done_target.
  std::int32_t* done_signal = nullptr;
  const std::int32_t* done_wait = nullptr;
  int done_target = 0;
  // Where consumer 0 records each tile's span (fused_stages.hpp: TileSpan), or null.
  TileSpan* spans = nullptr;
  // The expert at each position of the tile order (RoutingBuffers::expert_order), or null.
  const std::int32_t* order = nullptr;
  // A rows gathered by cp.async (TileLoad::a_mode kLoadAGather) rather than loaded by TMA: the
  // consumers then fence before wgmma reads them (consume_tile).
  bool a_gathered = false;
};

// Producer warpgroup's barrier id for its internal handshake (0 is the CTA-wide one).
constexpr int kProducerBarrier = 1;

// Consumer barrier ids for the row-block signal, after the producer's (kProducerBarrier).
constexpr int kConsumerBarrierBase = 2;

// A consumer warpgroup's finished tiles (epilogue run, or no rows of its own) whose row blocks
// it has not counted yet. Each count must follow a GPU-scope fence, which stalls thread 0's warp
// (and with it the warpgroup's wgmma) until its stores are acknowledged; counting at once after
// each tile cost 3-4% at T=16384 (bench/notes.md). So the counts go out kBatch at a time, after
// the next tile's mainloop, and at the end of the phase.
struct PendingRowBlocks {
  static constexpr int kBatch = 4;
  int row_block[kBatch];
  int count = 0;

  __device__ __forceinline__ void add(int block) {
#pragma unroll
    for (int i = 0; i < kBatch; ++i)
      if (i == count) row_block[i] = block;
    ++count;
  }
  // Every thread of the consumer warpgroup calls this once its stores of these tiles are issued.
  __device__ __forceinline__ void flush(std::int32_t* done, int consumer, int thread) {
    ptx::named_sync(kConsumerBarrierBase + consumer, kProducerThreads);
    if (thread == 0) {
      __threadfence();
#pragma unroll
      for (int i = 0; i < kBatch; ++i)
        if (i < count) atomicAdd(&done[row_block[i]], 1);
    }
    count = 0;
  }
};

// Producer thread 0, before a tile's first load: waits until its row block's input rows are all
// written, then orders its TMA loads after them.
__device__ __forceinline__ void wait_rows_written(const std::int32_t* done, int target) {
  while (ptx::load_acquire_gpu(done) < target) __nanosleep(32);
  ptx::fence_proxy_async_global();
}

// Registers per thread once the producer warpgroup hands its share to two consumers (the launch
// gives each thread 168; 128 x 40 + 256 x 232 and 128 x 56 + 256 x 224 are the same pool). With
// tails the producer holds ten gathered row pointers a tile instead of eight: with 40 registers it
// spilled them and reloaded them every K step. The FP8 engine's consumers hold 128 accumulators
// and a 64-register partial (fp8_pipeline.cuh), and its gathering producer each row's index and
// the weight blocks' scales: with 40 that producer spills inside its K loop, and with 224 the
// fused FP8 kernel's consumers spill three words every K step. FP8 producers that load A by TMA
// (kGatheredFp8A false: the grouped GEMMs, and fused unless MOEBENCH_FUSED_FP8_X=gather) fit in 40, and
// their consumers get 232. What either role still spills at these counts (a few words a tile,
// never inside a K loop, but for the gathering fused FP8 kernel's consumers) is listed beside
// the kernels that use them.
template <typename E, bool kGatheredFp8A = E::kFp8>
constexpr int kProducerRegisters = kGatheredFp8A || E::kTailRows > 0 ? 56 : 40;
template <typename E, bool kGatheredFp8A = E::kFp8>
constexpr int kConsumerRegisters = kGatheredFp8A || E::kTailRows > 0 ? 224 : 232;

// Runs body(role) in the warp-specialised roles, role 0 the producer warpgroup and 1 + consumer
// index the others. With two consumers the producer first gives registers to them; setmaxnreg
// needs each role to be one branch of a single if/else, hence the body appears in both.
template <typename E, bool kGatheredFp8A = E::kFp8, typename Body>
__device__ __forceinline__ void run_roles(Body body) {
  const int role = threadIdx.x / kProducerThreads;
  if (role == 0) {
    if constexpr (E::kConsumers == 2) ptx::release_registers<kProducerRegisters<E, kGatheredFp8A>>();
    body(role);
  } else {
    if constexpr (E::kConsumers == 2) ptx::claim_registers<kConsumerRegisters<E, kGatheredFp8A>>();
    body(role);
  }
}

// Tile `tile` of the phase, decoded from the copy of its schedule in shared memory (`cached`) or
// from L2.
template <typename Storage>
__device__ __forceinline__ TileCoord decode_phase_tile(const Storage& s, const PhaseTiles& phase, bool cached,
                                                       int tile) {
  return cached
             ? decode_tile<false>(tile, s.schedule_prefix, phase.order != nullptr ? s.schedule_order : nullptr,
                                  s.schedule_offsets, phase.local_experts, phase.block_m, phase.spill, phase.n_blocks)
             : decode_tile<true>(tile, phase.prefix, phase.order, phase.offsets, phase.local_experts, phase.block_m,
                                 phase.spill, phase.n_blocks);
}

// Producer thread 0: hands tile `tile` (from the phase's counter), decoded, to the consumers and
// the other producer threads in the slot `slot` names.
template <typename Storage>
__device__ __forceinline__ void publish_tile(Storage& s, const StageRing& slot, const PhaseTiles& phase, int num_tiles,
                                             bool cached, int tile) {
  ptx::mbarrier_wait(&s.tile_empty[slot.stage], slot.phase ^ 1u);
  ScheduledTile next{tile, {}};
  if (tile < num_tiles) next.coord = decode_phase_tile(s, phase, cached, tile);
  s.tiles[slot.stage] = next;
  ptx::mbarrier_arrive(&s.tile_full[slot.stage]);
}

// A clustered engine's tile schedule (Engine<2, 0, 2>, Fp8EngineT<2>): a cluster takes pairs of
// neighbouring tiles from the phase's counter (pair q: tiles 2q and 2q + 1, which in the tile
// order share their weight tile unless an expert or output block ends between them), the CTA of
// rank r tile 2q + r. A counter rather than a fixed round-robin because pairs that read the same
// weight tile must run at the same time to find it in L2 (bench/notes.md, v3 and v4). Both CTAs
// walk the same pairs and stages in step and leave the phase together; where the last pair has
// one tile, rank 1 takes an empty one (rows 0) and only passes the stages.
constexpr int kEmptyPairTile = -1;

// Producer thread 0: the cluster's next pair. Rank 0 takes it from the counter and hands it to
// rank 1 through rank 1's mailbox, once rank 1 has read the previous one.
template <typename E>
__device__ __forceinline__ int take_pair(typename E::Storage& s, std::int32_t* counter) {
  ClusterPairSlots& c = s.cluster;
  const std::uint32_t parity = static_cast<std::uint32_t>(c.handoffs++) & 1u;
  if (ptx::cluster_cta_rank() == 0) {
    const int pair = atomicAdd(counter, 1);
    ptx::mbarrier_wait_cluster(&c.empty, parity ^ 1u);
    ptx::store_shared_cluster(&c.mailbox, 1, pair);
    ptx::mbarrier_arrive_cluster<true>(&c.full, 1);
    return pair;
  }
  ptx::mbarrier_wait_cluster(&c.full, parity);
  const int pair = *static_cast<volatile std::int32_t*>(&c.mailbox);
  ptx::mbarrier_arrive_cluster<true>(&c.empty, 0);
  return pair;
}

// Producer thread 0 publishes its CTA's tile of pair `pair` in slot `slot` and how its B comes
// (BShare: halves where the two tiles share the weight tile).
template <typename E>
__device__ __forceinline__ void publish_pair_tile(typename E::Storage& s, const StageRing& slot,
                                                  const PhaseTiles& phase, int num_tiles, bool cached, int pair) {
  ptx::mbarrier_wait(&s.tile_empty[slot.stage], slot.phase ^ 1u);
  auto decode = [&](int tile) { return decode_phase_tile(s, phase, cached, tile); };
  const int rank = static_cast<int>(ptx::cluster_cta_rank());
  const int first = 2 * pair, mine = first + rank, partner = first + 1 - rank;
  ScheduledTile next{num_tiles, {}};  // past the last pair: the end, for both CTAs alike
  int share = kBOwn;
  if (mine < num_tiles) {
    next.tile = mine;
    next.coord = decode(mine);
    if (partner < num_tiles) {
      const TileCoord other = decode(partner);
      if (other.expert == next.coord.expert && other.n_block == next.coord.n_block) share = kBHalves;
    }
  } else if (first < num_tiles) {
    next.tile = kEmptyPairTile;
    next.coord = decode(partner);
    next.coord.rows = 0;
    next.coord.tail = 0;
    share = kBNone;
  }
  s.tiles[slot.stage] = next;
  s.cluster.b_share[slot.stage] = share;
  ptx::mbarrier_arrive(&s.tile_full[slot.stage]);
}

// The producer warpgroup's part of one tile: its loads, and meanwhile thread 0's request for the
// next tile, published into `next_slot` once the loads are issued. The producer schedules one
// tile ahead: thread 0 asks the counter before it loads the last two stages and uses the answer
// only after they are issued, so the atomic's round trip delays no load; the decode reads shared
// memory. Asking much earlier would have a CTA hold on to a tile that another CTA, finishing
// first, could have taken: with Mixtral's few long down-GEMM tiles at T=1024 that cost 4%
// (bench/notes.md).
template <typename E, typename MakeLoad>
__device__ __forceinline__ void produce_scheduled_tile(typename E::Storage& s, PipelineState& state,
                                                       const PhaseTiles& phase, const TileCoord& coord,
                                                       const StageRing& next_slot, int num_tiles, bool cached,
                                                       int thread, MakeLoad make_load) {
  constexpr bool kClustered = engine_cluster_ctas<E>() == 2;
  auto load = make_load(coord, thread);  // TileLoad, or Fp8TileLoad for an Fp8Engine
  if constexpr (kClustered) {
    // This tile's slot is the other one of the two; thread 0 wrote it before the producers'
    // handshake that preceded this tile.
    load.b_share = s.cluster.b_share[next_slot.stage ^ 1];
  }
  if (phase.done_wait != nullptr && thread == 0)
    wait_rows_written(phase.done_wait + coord.row_block, phase.done_target);
  int next = 0;  // the next tile, or in a cluster the next pair of tiles
  auto request_next = [&] {
    if (thread != 0) return;
    if constexpr (kClustered) {
      next = take_pair<E>(s, phase.counter);
    } else {
      next = atomicAdd(phase.counter, 1);
    }
  };
  if constexpr (E::kFp8) {
    produce_tile_fp8<E>(s, state.stages, load, phase.k_steps, thread, request_next);
  } else {
    produce_tile<E>(s, state.stages, load, phase.k_steps, thread, request_next);
  }
  if (thread != 0) return;
  if constexpr (kClustered) {
    publish_pair_tile<E>(s, next_slot, phase, num_tiles, cached, next);
  } else {
    publish_tile(s, next_slot, phase, num_tiles, cached, next);
  }
}

// The tail epilogue of a phase whose tiles carry no tail rows (PhaseTiles::spill.tail_rows 0).
struct NoTailEpilogue {};

template <typename E, typename TailEpilogue>
constexpr bool kCarriesTails = E::kTailRows > 0 && !std::is_same_v<TailEpilogue, NoTailEpilogue>;

// A consumer warpgroup's part of one tile: its 64 rows' MMA and epilogue (and its share of the
// tile's tail rows, if any), with the row-block counts that are due (PendingRowBlocks) sent
// between the two. Returns when its mainloop ended (the global timer) if `stamp`, else 0.
template <typename E, typename Epilogue, typename TailEpilogue>
__device__ __forceinline__ unsigned long long consume_scheduled_tile(typename E::Storage& s, PipelineState& state,
                                                                     const PhaseTiles& phase, const TileCoord& coord,
                                                                     PendingRowBlocks& pending, int consumer,
                                                                     int thread, bool stamp, Epilogue epilogue,
                                                                     TailEpilogue tail_epilogue) {
  float acc[E::kAccumulators];
  const bool active = coord.rows > consumer * kWarpgroupRows;
  bool tail_done = false;
  if constexpr (kCarriesTails<E, TailEpilogue>) {
    // A tile with a tail has all its 128 rows, so both consumers are active. The tail's wgmma N
    // is the smallest of 8, 16 and 32 that holds it; its rows are stored here, the tile's below.
    auto with_tail = [&](auto n) {
      TailAccumulators<decltype(n)::value> tail;
      consume_tile_with_tail<E>(s, state.stages, phase.k_steps, acc, tail, consumer, phase.a_gathered, thread);
      tail_epilogue(coord, tail, consumer, thread);
      tail_done = true;
    };
    if (coord.tail > 16) with_tail(std::integral_constant<int, 32>{});
    else if (coord.tail > 8) with_tail(std::integral_constant<int, 16>{});
    else if (coord.tail > 0) with_tail(std::integral_constant<int, 8>{});
  }
  if constexpr (E::kFp8) {
    const int scale_shift = phase.a_gathered ? 0 : scale_box_shift(coord.row_begin);
    consume_tile_fp8<E>(s, state.stages, phase.k_steps, acc, consumer, active, phase.a_gathered, scale_shift, thread);
  } else if (!tail_done) {
    consume_tile<E>(s, state.stages, phase.k_steps, acc, consumer, active, phase.a_gathered, thread);
  }
  const unsigned long long mainloop_end_ns = stamp ? ptx::globaltimer_ns() : 0;
  if (pending.count == PendingRowBlocks::kBatch) pending.flush(phase.done_signal, consumer, thread);
  if (active) epilogue(coord, acc, consumer * kWarpgroupRows, thread);
  if (phase.done_signal != nullptr) pending.add(coord.row_block);
  return mainloop_end_ns;
}

// make_load(coord, producer_thread) -> TileLoad (Fp8TileLoad); epilogue(coord, acc, row_offset,
// consumer_thread), row_offset being the consumer's first row within the tile; tail_epilogue(coord, tail, consumer,
// consumer_thread) for tiles with tail rows, before the epilogue, or NoTailEpilogue where the
// phase has none. The consumers read each tile whole from shared memory: no global load sits
// between two of their tiles.
template <typename E, typename MakeLoad, typename Epilogue, typename TailEpilogue = NoTailEpilogue>
__device__ __forceinline__ void run_gemm_phase(typename E::Storage& s, PipelineState& state, const PhaseTiles& phase,
                                               int role, MakeLoad make_load, Epilogue epilogue,
                                               TailEpilogue tail_epilogue = {}) {
  const int num_tiles = __ldcg(&phase.prefix[phase.local_experts]);
  const int thread = threadIdx.x % kProducerThreads;
  TileTrace* const trace = thread == 0 ? phase.trace : nullptr;
  unsigned traced = 0;
  if (trace != nullptr) {
    if (role == 0) ptx::store_volatile(&trace->num_tiles, static_cast<unsigned>(num_tiles));
    ptx::store_volatile(&trace->left[role], 0u);
  }
  const bool cached = phase.local_experts < kScheduleCacheEntries;
  PendingRowBlocks pending;  // consumers: finished tiles not yet counted (phase.done_signal)
  if (role == 0) {
    if (cached) {
      for (int e = thread; e <= phase.local_experts; e += kProducerThreads) {
        s.schedule_prefix[e] = __ldcg(&phase.prefix[e]);
        s.schedule_offsets[e] = __ldcg(&phase.offsets[e]);
        if (phase.order != nullptr && e < phase.local_experts) s.schedule_order[e] = __ldcg(&phase.order[e]);
      }
    }
    // Thread 0 last wrote the slots during the previous phase, which every producer thread has left.
    ptx::named_sync(kProducerBarrier, kProducerThreads);
    if constexpr (engine_cluster_ctas<E>() == 2) {
      if (thread == 0) publish_pair_tile<E>(s, state.tiles, phase, num_tiles, cached, take_pair<E>(s, phase.counter));
    } else {
      if (thread == 0) publish_tile(s, state.tiles, phase, num_tiles, cached, atomicAdd(phase.counter, 1));
    }
  }
  for (;;) {
    StageRing& slot = state.tiles;
    ScheduledTile tile;
    if (role == 0) {
      // Thread 0 published this slot one tile ago (or above); it writes the slot again two tiles
      // later, after the next of these handshakes, which every producer thread reaches only once
      // it has read the slot.
      ptx::named_sync(kProducerBarrier, kProducerThreads);
      tile = s.tiles[slot.stage];
    } else {
      ptx::mbarrier_wait(&s.tile_full[slot.stage], slot.phase);
      tile = s.tiles[slot.stage];
      ptx::mbarrier_arrive(&s.tile_empty[slot.stage]);
    }
    StageRing next_slot = slot;
    next_slot.advance<2>();
    slot = next_slot;
    if (tile.tile >= num_tiles) {
      if (role > 0 && pending.count > 0) pending.flush(phase.done_signal, role - 1, thread);
      if (trace != nullptr) ptx::store_volatile(&trace->left[role], 1u);
      return;
    }
    if (role == 0) {
      if (trace != nullptr) {
        ptx::store_volatile(&trace->taken, ++traced);
        ptx::store_volatile(&trace->last_taken, static_cast<unsigned>(tile.tile));
      }
      produce_scheduled_tile<E>(s, state, phase, tile.coord, next_slot, num_tiles, cached, thread, make_load);
    } else {
      const bool record = phase.spans != nullptr && role == 1 && thread == 0;
      const unsigned long long start_ns = record ? ptx::globaltimer_ns() : 0;
      const unsigned long long mainloop_end_ns = consume_scheduled_tile<E>(
          s, state, phase, tile.coord, pending, role - 1, thread, record, epilogue, tail_epilogue);
      if (record) {
        phase.spans[tile.tile] = TileSpan{start_ns,
                                          mainloop_end_ns,
                                          ptx::globaltimer_ns(),
                                          static_cast<int>(blockIdx.x),
                                          tile.coord.expert,
                                          tile.coord.rows + tile.coord.tail,
                                          tile.coord.n_block,
                                          phase.k_steps};
      }
      if (trace != nullptr) {
        ptx::store_volatile(&trace->finished[role - 1], ++traced);
        ptx::store_volatile(&trace->last_finished[role - 1], static_cast<unsigned>(tile.tile));
      }
    }
  }
}

}  // namespace moe_kernels
