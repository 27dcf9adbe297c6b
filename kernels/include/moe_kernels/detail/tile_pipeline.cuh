// The tile engine both MoE paths share: a producer warpgroup fills a ring of shared-memory stages
// (A: kBlockM token rows x 64 K, B: 256 weight rows x 64 K, both 128B-swizzled) and kConsumers
// consumer warpgroups, 64 rows each, run m64n256k16 wgmma over them into registers. Producer and
// consumers walk the same tile sequence, so their ring positions always agree.
//
// With two consumers a tile may also carry up to kMaxTailRows token rows past its 128 (some of
// an expert's rows past its last multiple of 128, MoeGeometry::spill). They sit after the A tile
// in the stage; each consumer multiplies them with swapped operands, two of the stage's four
// 64-row weight blocks as the wgmma M and the tail's tokens as its N (8, 16 or 32). The weights
// are already in shared memory: the tile takes 15-30% longer (they pass through the tensor cores
// a second time), where a row block of their own would pull the whole weight tile through L2
// again at ~0.8 of a full tile's time.
#pragma once

#include <cstdint>
#include <cuda_bf16.h>

#include "moe_kernels/detail/moe_schedule.cuh"
#include "moe_kernels/detail/ptx.cuh"
#include "moe_kernels/detail/wgmma.cuh"
#include "moe_kernels/moe_types.hpp"

namespace moe_kernels {

// How a clustered engine's tile gets its B (TileLoad::b_share, Fp8TileLoad::b_share).
enum BShare : int {
  kBOwn = 0,     // this CTA loads all of B (every tile outside a cluster)
  kBHalves = 1,  // each CTA of the pair loads half and multicasts it to both
  kBNone = 2,    // an empty tile (rows 0): nothing loads, the stages only pass
};

// A clustered engine's producer thread 0: how each tile slot's B comes (BShare) and the pairs of
// tiles handed over so far; rank 0 takes each pair from the phase's counter and hands it to rank
// 1 through `mailbox` (full: written, in rank 1; empty: read, in rank 0). Engines outside a
// cluster keep the few unused words.
struct ClusterPairSlots {
  std::int32_t b_share[2];
  std::int32_t handoffs;
  std::int32_t mailbox;
  std::uint64_t full;
  std::uint64_t empty;
};

// The engine's storage at the first 1024-byte boundary of dynamic shared memory (the 128B
// swizzle's atom).
template <typename Storage>
__device__ __forceinline__ Storage& aligned_storage(std::uint8_t* dynamic_smem) {
  const auto base = reinterpret_cast<std::uintptr_t>(dynamic_smem);
  return *reinterpret_cast<Storage*>((base + 1023) & ~std::uintptr_t(1023));
}

// CTAs a cluster of engine E holds (its kClusterCtas; 1 for engines without one).
template <typename E>
constexpr int engine_cluster_ctas() {
  if constexpr (requires { E::kClusterCtas; }) {
    return E::kClusterCtas;
  } else {
    return 1;
  }
}

// The stage and tile rings' barriers, empty. E names kStages, kConsumers and kFullArrivals. In a
// cluster every consumer of every CTA releases each stage (fp8_pipeline.cuh), and no CTA may
// arrive on a peer's barrier before the peer has initialised it.
template <typename E>
__device__ __forceinline__ void init_rings(typename E::Storage& s) {
  if (threadIdx.x == 0) {
    for (int i = 0; i < E::kStages; ++i) {
      ptx::mbarrier_init(&s.full[i], E::kFullArrivals);
      ptx::mbarrier_init(&s.empty[i], E::kConsumers * engine_cluster_ctas<E>());
    }
    for (int i = 0; i < 2; ++i) {
      ptx::mbarrier_init(&s.tile_full[i], 1);
      ptx::mbarrier_init(&s.tile_empty[i], E::kConsumers * kProducerThreads);
    }
    if constexpr (engine_cluster_ctas<E>() == 2) {
      ptx::mbarrier_init(&s.cluster.full, 1);
      ptx::mbarrier_init(&s.cluster.empty, 1);
      s.cluster.handoffs = 0;
    }
    ptx::fence_barrier_init();
  }
  if constexpr (engine_cluster_ctas<E>() == 2) {
    ptx::cluster_sync();
  } else {
    __syncthreads();
  }
}

// The end of a kernel on engine E: in a cluster, no CTA leaves while its peer may still arrive on
// its barriers or multicast into its shared memory.
template <typename E>
__device__ __forceinline__ void leave_cluster() {
  if constexpr (engine_cluster_ctas<E>() == 2) ptx::cluster_sync();
}

// kConsumerCount consumer warpgroups (1 or 2); kTails: 0, or kMaxTailRows where tiles may carry
// tails (two consumers only). Kernels without tails keep the smaller stages and the register
// split they had before tails existed.
// kClusterCtasN: 1, or 2 for the clustered engine (epmoe's tiled GEMMs under
// MOEBENCH_GEMM_CLUSTER=on; two consumers, no tails): see Fp8EngineT (fp8_pipeline.cuh), which
// shares the scheme: pairs of CTAs multicast the halves of the weight tiles they both multiply.
template <int kConsumerCount, int kTails = 0, int kClusterCtasN = 1>
struct Engine {
  static constexpr bool kFp8 = false;  // bf16 operands (fp8_pipeline.cuh has the FP8 engine)
  static constexpr int kClusterCtas = kClusterCtasN;
  static_assert(kClusterCtas == 1 || (kClusterCtas == 2 && kConsumerCount == 2 && kTails == 0));
  static constexpr int kConsumers = kConsumerCount;
  static constexpr int kAccumulators = 128;  // 64 x 256 f32 per consumer
  static constexpr int kTailRows = kTails;
  static_assert(kConsumers == 1 || kConsumers == 2);
  static_assert(kTailRows == 0 || (kConsumers == 2 && kTailRows == kMaxTailRows));
  static constexpr int kBlockM = kWarpgroupRows * kConsumers;
  static constexpr int kThreads = kProducerThreads * (1 + kConsumers);
  static constexpr int kBoxBytesA = kBlockM * kBlockK * 2;     // the A tile proper
  static constexpr int kTailBytesA = kTailRows * kBlockK * 2;  // the tail's rows after it
  static constexpr int kStageBytesA = kBoxBytesA + kTailBytesA;
  static constexpr int kStageBytesB = kBlockNB * kBlockK * 2;  // 32 KiB
  static constexpr int kStages = kConsumers == 1 ? 5 : 4;      // 200-208 KiB either way
  // Rows of the A tile, and of its tail, each producer thread gathers (8 chunks of 16 bytes a row).
  static constexpr int kGatherRowsPerThread = kBlockM * 8 / kProducerThreads;
  static constexpr int kTailGatherRowsPerThread = kTailRows * 8 / kProducerThreads;

  struct alignas(1024) Storage {
    std::uint8_t a[kStages][kStageBytesA];
    std::uint8_t b[kStages][kStageBytesB];
    std::uint64_t full[kStages];   // producer -> consumers: stage loaded
    std::uint64_t empty[kStages];  // consumers -> producer: stage free
    // Tiles handed from the producer to the consumers, decoded, two slots deep.
    ScheduledTile tiles[2];
    // The phase's tile prefix, expert offsets and tile order where they fit
    // (kScheduleCacheEntries): the producer decodes each tile from here instead of from L2.
    std::int32_t schedule_prefix[kScheduleCacheEntries];
    std::int32_t schedule_offsets[kScheduleCacheEntries];
    std::int32_t schedule_order[kScheduleCacheEntries];
    std::uint64_t tile_full[2];   // one arrival: the producer wrote the slot
    std::uint64_t tile_empty[2];  // every consumer thread read it
    // The clustered engine's pair schedule (gemm_phase.cuh: take_pair, publish_pair_tile).
    ClusterPairSlots cluster;
  };
  static constexpr int kSmemBytes = static_cast<int>(sizeof(Storage)) + 1024;  // + alignment slack
  // Full barriers expect one arrival per producer thread (its data: cp.async or nothing) plus
  // thread 0's expect_tx arrival for the TMA bytes.
  static constexpr int kFullArrivals = kProducerThreads + 1;

  static __device__ __forceinline__ Storage& storage(std::uint8_t* dynamic_smem) {
    return aligned_storage<Storage>(dynamic_smem);
  }
  static __device__ __forceinline__ void init(Storage& s) { init_rings<Engine>(s); }
};

struct StageRing {
  int stage = 0;
  std::uint32_t phase = 0;
  template <int kStages>
  __device__ void advance() {
    if (++stage == kStages) {
      stage = 0;
      phase ^= 1u;
    }
  }
};

// Positions in the shared-memory rings, carried from one GEMM phase to the next.
struct PipelineState {
  StageRing stages;
  StageRing tiles;
};

constexpr int kLoadATma = 0;
constexpr int kLoadAGather = 1;

// What a tile's producer loads for each K step. A comes either from TMA over contiguous rows or
// from a gather of rows by index; B always from TMA (one 256-row box or two 128-row boxes).
struct TileLoad {
  int a_mode;
  // TMA A: rows [a_row, a_row + kBlockM) of a 2D map (K, rows), and where the tile has a tail its
  // kMaxTailRows rows after those from a_tail_map (the same matrix in boxes of kMaxTailRows rows).
  const CUtensorMap* a_map;
  const CUtensorMap* a_tail_map;
  int a_row;
  int tail_rows;  // the tile's rows past kBlockM (TileCoord::tail): 0 for most tiles
  // Gathered A: this thread's row pointers (row = thread / 8 + 16 * i, the tail's rows from
  // kBlockM on), null for padding rows, and any valid address for the zero-filling copies to name.
  const __nv_bfloat16* a_rows[(kMaxBlockM + kMaxTailRows) * 8 / kProducerThreads];
  const __nv_bfloat16* a_base;
  int a_row_elems;  // row length in elements (a multiple of 8); chunks past it are zero
  // B from 3D maps (K, rows, expert); b_map2 (second 128 rows) may be null.
  const CUtensorMap* b_map;
  const CUtensorMap* b_map2;
  int b_row;
  int b_expert;
};

// A clustered engine's tile: how its B comes (BShare), and for kBHalves without b_map2 the
// weights in boxes of 128 rows (b_map's halves). A type of its own: two more fields in TileLoad
// changed the register allocation of fused's kernels, which never use them.
struct ClusteredTileLoad : TileLoad {
  int b_share;
  const CUtensorMap* b_half_map;
};

// A tile whose A rows arrive by TMA (rows from `row`), B from expert `expert` of `b_map` (and of
// `b_map2`, the second 128 rows, if not null) from weight row `b_row`.
__device__ __forceinline__ TileLoad tma_tile_load(const CUtensorMap* a_map, int row, const CUtensorMap* b_map,
                                                  const CUtensorMap* b_map2, int b_row, int expert) {
  TileLoad load{};
  load.a_mode = kLoadATma;
  load.a_map = a_map;
  load.a_row = row;
  load.b_map = b_map;
  load.b_map2 = b_map2;
  load.b_row = b_row;
  load.b_expert = expert;
  return load;
}

// Consumer thread 0, done with a stage: its arrival on the stage's empty barrier, in both CTAs of
// a clustered engine (either may load into it next).
template <typename E>
__device__ __forceinline__ void release_stage(typename E::Storage& s, int stage) {
  if constexpr (engine_cluster_ctas<E>() == 2) {
    ptx::mbarrier_arrive_cluster(&s.empty[stage], 0);
    ptx::mbarrier_arrive_cluster(&s.empty[stage], 1);
  } else {
    ptx::mbarrier_arrive(&s.empty[stage]);
  }
}

// The clustered engine's stage of one tile (thread 0; A by TMA, no tail): kBHalves, this CTA's
// half of B (gate/up: the gate box for rank 0, the up box for rank 1; down: 128 of the 256 rows)
// multicast into both CTAs; kBOwn, all of B into this CTA; kBNone, nothing but the arrival.
template <typename E>
__device__ __forceinline__ void load_stage_clustered(typename E::Storage& s, int stage, const ClusteredTileLoad& load,
                                                     std::uint64_t* full, int k0) {
  if (load.b_share == kBNone) {
    ptx::mbarrier_arrive(full);
    return;
  }
  constexpr std::uint16_t kBoth = 0b11;
  constexpr int kHalf = E::kStageBytesB / 2;
  std::uint8_t* b = s.b[stage];
  ptx::mbarrier_arrive_expect_tx(full, E::kStageBytesB + E::kBoxBytesA);
  if (load.b_share == kBHalves) {
    const int rank = static_cast<int>(ptx::cluster_cta_rank());
    if (load.b_map2 != nullptr) {
      ptx::tma_load_3d_multicast(b + rank * kHalf, rank == 0 ? load.b_map : load.b_map2, full, k0, load.b_row,
                                 load.b_expert, kBoth);
    } else {
      ptx::tma_load_3d_multicast(b + rank * kHalf, load.b_half_map, full, k0, load.b_row + 128 * rank, load.b_expert,
                                 kBoth);
    }
  } else {
    ptx::tma_load_3d(b, load.b_map, full, k0, load.b_row, load.b_expert);
    if (load.b_map2 != nullptr) ptx::tma_load_3d(b + kHalf, load.b_map2, full, k0, load.b_row, load.b_expert);
  }
  ptx::tma_load_2d(s.a[stage], load.a_map, full, k0, load.a_row);
}

// Producer: loads `k_steps` stages of one tile (Load: TileLoad, or ClusteredTileLoad on a clustered
// engine). All kProducerThreads threads call this; near_end() runs before the last two stages are
// loaded (the next tile's request).
template <typename E, typename Load, typename NearEnd>
__device__ __forceinline__ void produce_tile(typename E::Storage& s, StageRing& ring, const Load& load, int k_steps,
                                             int thread, NearEnd near_end) {
  const int near_end_step = max(0, k_steps - 2);
  for (int k = 0; k < k_steps; ++k, ring.advance<E::kStages>()) {
    if (k == near_end_step) near_end();
    ptx::mbarrier_wait(&s.empty[ring.stage], ring.phase ^ 1u);
    std::uint64_t* full = &s.full[ring.stage];
    const int k0 = k * kBlockK;
    if constexpr (engine_cluster_ctas<E>() == 2) {
      // Thread 0's arrival and copies; the others arrive as a TMA-fed stage's do.
      if (thread == 0) load_stage_clustered<E>(s, ring.stage, load, full, k0);
      ptx::mbarrier_arrive(full);
      continue;
    }
    if (thread == 0) {
      const bool tma_a = load.a_mode == kLoadATma, tma_tail = tma_a && load.tail_rows > 0;
      const std::uint32_t bytes = E::kStageBytesB + (tma_a ? E::kBoxBytesA : 0) + (tma_tail ? E::kTailBytesA : 0);
      ptx::mbarrier_arrive_expect_tx(full, bytes);
      ptx::tma_load_3d(s.b[ring.stage], load.b_map, full, k0, load.b_row, load.b_expert);
      if (load.b_map2 != nullptr)
        ptx::tma_load_3d(s.b[ring.stage] + E::kStageBytesB / 2, load.b_map2, full, k0, load.b_row, load.b_expert);
      if (tma_a) ptx::tma_load_2d(s.a[ring.stage], load.a_map, full, k0, load.a_row);
      if (tma_tail)
        ptx::tma_load_2d(s.a[ring.stage] + E::kBoxBytesA, load.a_tail_map, full, k0, load.a_row + E::kBlockM);
    }
    if (load.a_mode == kLoadAGather) {
      // Chunk c of row r lands at chunk c ^ (r % 8) of the row: the 128B swizzle TMA writes.
      const int chunk = thread % 8;
      const int column = k0 + chunk * 8;
      const int rows_per_thread = E::kGatherRowsPerThread + (load.tail_rows > 0 ? E::kTailGatherRowsPerThread : 0);
#pragma unroll
      for (int i = 0; i < E::kGatherRowsPerThread + E::kTailGatherRowsPerThread; ++i) {
        if (i >= rows_per_thread) break;
        const int row = thread / 8 + 16 * i;
        const __nv_bfloat16* src = load.a_rows[i];
        const bool valid = src != nullptr && column < load.a_row_elems;
        std::uint8_t* dst = s.a[ring.stage] + row * 128 + ((chunk ^ (row % 8)) * 16);
        ptx::cp_async_16_zfill(dst, valid ? src + column : load.a_base, valid);
      }
      ptx::cp_async_arrive_noinc(full);
    } else {
      ptx::mbarrier_arrive(full);
    }
  }
  if (k_steps == 0) near_end();
}

// One stage's main product for consumer `consumer`: its 64 rows of A times the stage's 256
// weight rows, four m64n256k16 over the stage's 64 K columns into acc (overwriting it unless
// `accumulate`).
template <typename E>
__device__ __forceinline__ void issue_stage_mma(typename E::Storage& s, int stage, float (&acc)[128], int consumer,
                                                bool accumulate) {
  const std::uint64_t desc_a = wgmma::make_desc_k_major_sw128(s.a[stage] + consumer * kWarpgroupRows * 128);
  const std::uint64_t desc_b = wgmma::make_desc_k_major_sw128(s.b[stage]);
#pragma unroll
  for (int kk = 0; kk < kBlockK / 16; ++kk) {
    wgmma::mma_m64n256k16(acc, wgmma::advance_k(desc_a, kk * 16), wgmma::advance_k(desc_b, kk * 16),
                          accumulate || kk > 0);
  }
}

// Consumer warpgroup `consumer`: accumulates its 64 rows of one tile over `k_steps` stages into
// acc (64 x 256). One wgmma group stays in flight: a stage is released once the group after it
// has been issued and the group that read it has completed. A warpgroup whose rows are all
// padding (`active` false) only passes the stages on.
//
// `a_gathered`: A arrived by cp.async (PhaseTiles::a_gathered), through the generic proxy, and
// wgmma reads through the async proxy, so each stage needs a proxy fence first. It compiles to
// MEMBAR.ALL.CTA and FENCE.VIEW.ASYNC.S, and the memory barrier also orders the thread's own
// earlier stores, the previous tile's epilogue among them. TMA writes through the async proxy, so
// TMA-fed phases (the down GEMM, epmoe's GEMMs) skip it (bench/notes.md, eighth session: with the
// GEMM overlap beside it, Mixtral-8x7B T=1024 -3.4% on H100).
template <typename E>
__device__ __forceinline__ void consume_tile(typename E::Storage& s, StageRing& ring, int k_steps, float (&acc)[128],
                                             int consumer, bool active, bool a_gathered, int thread) {
  if (!active) {
    // Thread 0 alone waits and releases. Were every thread to wait, a warp still storing the
    // previous tile's epilogue could reach a stage's wait only after thread 0 had released it and
    // the producer had filled it again: the barrier would be in the phase of the same parity, one
    // lap later, and that warp would wait for it forever. The others only keep their ring position.
    for (int k = 0; k < k_steps; ++k, ring.advance<E::kStages>()) {
      if (thread == 0) {
        ptx::mbarrier_wait(&s.full[ring.stage], ring.phase);
        release_stage<E>(s, ring.stage);
      }
    }
    return;
  }
  int previous_stage = -1;
  for (int k = 0; k < k_steps; ++k, ring.advance<E::kStages>()) {
    ptx::mbarrier_wait(&s.full[ring.stage], ring.phase);
    if (a_gathered) ptx::fence_proxy_async_shared();
    wgmma::fence_accumulators(acc);
    wgmma::fence();
    issue_stage_mma<E>(s, ring.stage, acc, consumer, k > 0);
    wgmma::commit_group();
    wgmma::wait_group<1>();
    wgmma::fence_accumulators(acc);
    if (previous_stage >= 0 && thread == 0) release_stage<E>(s, previous_stage);
    previous_stage = ring.stage;
  }
  wgmma::wait_group<0>();
  wgmma::fence_accumulators(acc);
  if (previous_stage >= 0 && thread == 0) release_stage<E>(s, previous_stage);
}

// A consumer's share of a tile's tail rows: weight blocks `consumer` and `consumer` + 2 of the
// stage's four 64-row blocks (for gate/up the gate and the up half of the same 64 intermediate
// columns) times the tail's first kN tokens (kN 8, 16 or 32: the wgmma N, whose tensor work
// grows with it). In accumulator_coord's terms block[j]'s .row is the weight row within its block
// and .col the tail row.
template <int kN>
struct TailAccumulators {
  float block[2][kN / 2];
};

// consume_tile for a tile with tail rows (both consumers active): each stage's wgmma group also
// holds the tail's products. A loop of its own: with the tail's registers live on one side of a
// branch inside the plain loop, ptxas serialises every wgmma of the kernel.
template <typename E, int kN>
__device__ __forceinline__ void consume_tile_with_tail(typename E::Storage& s, StageRing& ring, int k_steps,
                                                       float (&acc)[128], TailAccumulators<kN>& tail, int consumer,
                                                       bool a_gathered, int thread) {
  static_assert(kN <= E::kTailRows);
  auto fence_all = [&] {
    wgmma::fence_accumulators(acc);
    wgmma::fence_accumulators(tail.block[0]);
    wgmma::fence_accumulators(tail.block[1]);
  };
  int previous_stage = -1;
  for (int k = 0; k < k_steps; ++k, ring.advance<E::kStages>()) {
    ptx::mbarrier_wait(&s.full[ring.stage], ring.phase);
    if (a_gathered) ptx::fence_proxy_async_shared();
    fence_all();
    wgmma::fence();
    issue_stage_mma<E>(s, ring.stage, acc, consumer, k > 0);
    const std::uint64_t desc_tokens = wgmma::make_desc_k_major_sw128(s.a[ring.stage] + E::kBoxBytesA);
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      const std::uint64_t desc_weights =
          wgmma::make_desc_k_major_sw128(s.b[ring.stage] + (consumer + 2 * j) * kWarpgroupRows * 128);
#pragma unroll
      for (int kk = 0; kk < kBlockK / 16; ++kk) {
        wgmma::mma_m64nNk16<kN>(tail.block[j], wgmma::advance_k(desc_weights, kk * 16),
                                wgmma::advance_k(desc_tokens, kk * 16), k > 0 || kk > 0);
      }
    }
    wgmma::commit_group();
    wgmma::wait_group<1>();
    fence_all();
    if (previous_stage >= 0 && thread == 0) release_stage<E>(s, previous_stage);
    previous_stage = ring.stage;
  }
  wgmma::wait_group<0>();
  fence_all();
  if (previous_stage >= 0 && thread == 0) release_stage<E>(s, previous_stage);
}

}  // namespace moe_kernels
