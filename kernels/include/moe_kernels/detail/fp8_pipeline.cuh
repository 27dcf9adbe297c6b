// The tile engine's FP8 variant (W8A8, block-scaled: docs/fp8.md). A stage holds a 128-row tile's
// bytes: A 128 token rows x 128 bytes, B 256 weight rows x 128 bytes, both 128B-swizzled; 128
// bytes of e4m3 are 128 K columns, exactly one scale group. So each stage also carries its scales:
// one per A row (the row's activation group) and one per 64 weight rows (the weight block each
// quarter of B lies in).
//
// A consumer cannot let the tensor cores sum across K blocks: every block's partial sum has its
// own scale, and Hopper accumulates FP8 products with fewer bits than f32. So per stage it runs
// m64n128k32 into a fresh f32 partial, waits for it, and adds partial x (row scale x block scale)
// into the tile's f32 accumulators (DeepGEMM's promotion). Consumer c takes rows 64c + [0, 64) and
// all 256 columns: 128 accumulators in the layout of an m64n256 tile, filled a half of B (two
// weight blocks) at a time through one 64-register partial. While one consumer promotes, the
// other's wgmma runs. 128 rows share each 32 KiB of B (the first version's 64-row tiles had the
// consumers split the columns: 40 KiB from L2 per 2.1 M MACs, where these take 48 KiB per 4.2 M,
// and the engine ran at ~40% of the e4m3 peak, L2-bound: bench/notes.md).
#pragma once

#include <cstdint>

#include "moe_kernels/detail/moe_schedule.cuh"
#include "moe_kernels/detail/ptx.cuh"
#include "moe_kernels/detail/tile_pipeline.cuh"
#include "moe_kernels/detail/wgmma.cuh"
#include "moe_kernels/moe_types.hpp"

namespace moe_kernels {

// kClusterCtasN: 1, or 2 for the clustered engine (epmoe's grouped GEMMs under
// MOEBENCH_GEMM_CLUSTER=on). There the two CTAs of a cluster take neighbouring tiles of the phase
// (gemm_phase.cuh: publish_pair_tile) and walk their stages in step: where both tiles are of one expert and
// output block, i.e. multiply the same 256 weight rows, each CTA loads half of B and multicasts it
// into both CTAs' stage, so that each SM pulls 16 + 16 KiB a stage from L2 instead of 16 + 32. A
// stage is then free only once the consumers of both CTAs have released it: each consumer arrives
// on the empty barrier of both.
template <int kClusterCtasN>
struct Fp8EngineT {
  static constexpr bool kFp8 = true;
  static constexpr int kClusterCtas = kClusterCtasN;
  static_assert(kClusterCtas == 1 || kClusterCtas == 2);
  static constexpr int kConsumers = 2;
  static constexpr int kTailRows = 0;
  static constexpr int kBlockM = kFp8BlockM;
  static_assert(kBlockM == kConsumers * kWarpgroupRows, "each consumer takes 64 rows (the wgmma M)");
  static constexpr int kAccumulators = 128;  // 64 x 256 f32 per consumer
  static constexpr int kThreads = kProducerThreads * (1 + kConsumers);
  static constexpr int kBoxBytesA = kBlockM * kFp8BlockK;  // 16 KiB
  static constexpr int kStageBytesA = kBoxBytesA;
  static constexpr int kStageBytesB = kBlockNB * kFp8BlockK;       // 32 KiB
  static constexpr int kScaleBoxRowsA = kBlockM + kScaleBoxSlack;  // moe_types.hpp: 16-byte aligned boxes
  static constexpr int kScaleBytesA = kScaleBoxRowsA * 4;
  static constexpr int kStages = 4;  // 192 KiB
  static constexpr int kGatherRowsPerThread = kBlockM * 8 / kProducerThreads;
  static constexpr int kTailGatherRowsPerThread = 0;

  struct alignas(1024) Storage {
    std::uint8_t a[kStages][kStageBytesA];
    std::uint8_t b[kStages][kStageBytesB];
    // A TMA box (the tile's rows from scale_box_first_row, so row r at r + scale_box_shift(the
    // tile's first row)) or gathered words (row r at r); 128-byte aligned slots.
    alignas(128) float a_scale[kStages][scale_box_slot_words(kBlockM)];
    float b_scale[kStages][4];  // B's four 64-row quarters
    // Gathered A: the packed row of each tile row (Fp8TileLoad), -1 for padding rows. Each
    // producer thread writes and reads only its own rows, so no barrier guards it.
    std::int32_t gather_rows[kBlockM];
    std::uint64_t full[kStages];
    std::uint64_t empty[kStages];
    ScheduledTile tiles[2];
    std::int32_t schedule_prefix[kScheduleCacheEntries];
    std::int32_t schedule_offsets[kScheduleCacheEntries];
    std::int32_t schedule_order[kScheduleCacheEntries];
    std::uint64_t tile_full[2];
    std::uint64_t tile_empty[2];
    // The clustered engine's pair schedule (gemm_phase.cuh: take_pair, publish_pair_tile).
    ClusterPairSlots cluster;
  };
  static constexpr int kSmemBytes = static_cast<int>(sizeof(Storage)) + 1024;
  // Every producer thread arrives through cp.async (scales, gathered rows, or nothing) and thread
  // 0 also with the TMA bytes.
  static constexpr int kFullArrivals = kProducerThreads + 1;

  static __device__ __forceinline__ Storage& storage(std::uint8_t* dynamic_smem) {
    return aligned_storage<Storage>(dynamic_smem);
  }
  static __device__ __forceinline__ void init(Storage& s) { init_rings<Fp8EngineT>(s); }
};
using Fp8Engine = Fp8EngineT<1>;
using Fp8ClusterEngine = Fp8EngineT<2>;

// What an FP8 tile's producer loads for each K step (TileLoad's FP8 counterpart).
struct Fp8TileLoad {
  int a_mode;  // kLoadATma or kLoadAGather
  // TMA A: rows [a_row, a_row + 64) of the codes map (K bytes, rows) and of the scale map (rows,
  // groups): Fp8Rows.
  const CUtensorMap* a_map;
  const CUtensorMap* a_scale_map;
  int a_row;
  // Gathered A: the packed rows (Fp8PackedRows) in Storage::gather_rows, which the tile's
  // make_load fills (each producer thread its rows thread / 8 + 16 i); packed row r at a_base + r *
  // a_row_bytes, a_base also the valid address the zero-filling copies name. In shared memory
  // rather than registers: eight row pointers or indices held over the K loop did not fit the
  // producer's registers.
  const std::uint8_t* a_base;
  int a_codes_bytes;  // codes per packed row; its scales follow them
  int a_row_bytes;
  // B from 3D maps (K bytes, rows, expert): one box of 256 rows from b_row, or, with b_map2 (the
  // up weights of a gate/up GEMM, boxes of 64 rows), gate rows b_row + [0, 64), up rows b_row +
  // [0, 64), gate rows b_row + [64, 128), up rows b_row + [64, 128): a consumer's quarters are
  // then always the same 64 intermediate columns of gate and of up.
  const CUtensorMap* b_map;
  const CUtensorMap* b_map2;
  int b_row;
  int b_expert;
  // The scales of the tile's weight blocks by K block (the second null past the matrix): quarters
  // 0-3 of B lie in blocks 0, 1, 0, 1 (`b_alternating`: gate/up) or 0, 0, 1, 1 (down).
  const float* b_scales[2];
  bool b_alternating;
  // The clustered engine: how B comes (BShare, tile_pipeline.cuh), and for kBHalves without b_map2
  // the weights in boxes of 128 rows (b_map's halves).
  int b_share;
  const CUtensorMap* b_half_map;
};

// B of one stage into this CTA: one 256-row box, or (b_map2: the gate/up GEMM) the four 64-row
// quarters, gate and up of intermediate columns [0, 64), then of [64, 128).
template <typename E>
__device__ __forceinline__ void load_b_own(std::uint8_t* b, const Fp8TileLoad& load, std::uint64_t* full, int k0) {
  if (load.b_map2 == nullptr) {
    ptx::tma_load_3d(b, load.b_map, full, k0, load.b_row, load.b_expert);
    return;
  }
  constexpr int kQuarter = E::kStageBytesB / 4;
  ptx::tma_load_3d(b, load.b_map, full, k0, load.b_row, load.b_expert);
  ptx::tma_load_3d(b + kQuarter, load.b_map2, full, k0, load.b_row, load.b_expert);
  ptx::tma_load_3d(b + 2 * kQuarter, load.b_map, full, k0, load.b_row + 64, load.b_expert);
  ptx::tma_load_3d(b + 3 * kQuarter, load.b_map2, full, k0, load.b_row + 64, load.b_expert);
}

// The clustered engine's B of one stage. kBHalves: this CTA's half of the four 64-row quarters
// (gate/up: quarters 2 rank and 2 rank + 1) or of the 256-row box (down: 128 rows), multicast into
// both CTAs; kBOwn: all of it, into this CTA alone.
template <typename E>
__device__ __forceinline__ void load_b_clustered(std::uint8_t* b, const Fp8TileLoad& load, std::uint64_t* full,
                                                 int k0) {
  constexpr int kQuarter = E::kStageBytesB / 4;
  constexpr std::uint16_t kBoth = 0b11;
  const int rank = static_cast<int>(ptx::cluster_cta_rank());
  if (load.b_share == kBHalves) {
    if (load.b_map2 != nullptr) {
      ptx::tma_load_3d_multicast(b + 2 * rank * kQuarter, load.b_map, full, k0, load.b_row + 64 * rank, load.b_expert,
                                 kBoth);
      ptx::tma_load_3d_multicast(b + (2 * rank + 1) * kQuarter, load.b_map2, full, k0, load.b_row + 64 * rank,
                                 load.b_expert, kBoth);
    } else {
      ptx::tma_load_3d_multicast(b + 2 * rank * kQuarter, load.b_half_map, full, k0, load.b_row + 128 * rank,
                                 load.b_expert, kBoth);
    }
    return;
  }
  load_b_own<E>(b, load, full, k0);
}

// Producer thread 0: K block k's scales of B's four 64-row quarters into stage `stage`, by cp.async.
template <typename E>
__device__ __forceinline__ void load_b_scales(typename E::Storage& s, int stage, const Fp8TileLoad& load, int k) {
#pragma unroll
  for (int quarter = 0; quarter < 4; ++quarter) {
    const float* scales = load.b_scales[load.b_alternating ? quarter & 1 : quarter >> 1];
    // A missing block (past H) reads nothing and names block 0's scales, which always exist.
    ptx::cp_async_4_zfill(&s.b_scale[stage][quarter], scales != nullptr ? scales + k : load.b_scales[0],
                          scales != nullptr);
  }
}

// Producer: loads `k_steps` stages of one FP8 tile, scales included; as produce_tile.
template <typename E, typename NearEnd>
__device__ __forceinline__ void produce_tile_fp8(typename E::Storage& s, StageRing& ring, const Fp8TileLoad& load,
                                                 int k_steps, int thread, NearEnd near_end) {
  const int near_end_step = max(0, k_steps - 2);
  const bool tma_a = load.a_mode == kLoadATma;
  for (int k = 0; k < k_steps; ++k, ring.advance<E::kStages>()) {
    if (k == near_end_step) near_end();
    ptx::mbarrier_wait(&s.empty[ring.stage], ring.phase ^ 1u);
    std::uint64_t* full = &s.full[ring.stage];
    const int k0 = k * kFp8BlockK;
    std::uint8_t* b = s.b[ring.stage];
    if constexpr (E::kClusterCtas == 2) {
      // A by TMA only (the grouped GEMMs); an empty tile's stage only passes.
      if (thread == 0 && load.b_share == kBNone) ptx::mbarrier_arrive(full);
      if (thread == 0 && load.b_share != kBNone) {
        ptx::mbarrier_arrive_expect_tx(full, E::kStageBytesB + E::kBoxBytesA + E::kScaleBytesA);
        load_b_clustered<E>(b, load, full, k0);
        ptx::tma_load_2d(s.a[ring.stage], load.a_map, full, k0, load.a_row);
        ptx::tma_load_2d(s.a_scale[ring.stage], load.a_scale_map, full, scale_box_first_row(load.a_row), k);
        load_b_scales<E>(s, ring.stage, load, k);
      }
      ptx::cp_async_arrive_noinc(full);
      continue;
    }
    if (thread == 0) {
      ptx::mbarrier_arrive_expect_tx(full, E::kStageBytesB + (tma_a ? E::kBoxBytesA + E::kScaleBytesA : 0));
      load_b_own<E>(b, load, full, k0);
      if (tma_a) {
        ptx::tma_load_2d(s.a[ring.stage], load.a_map, full, k0, load.a_row);
        ptx::tma_load_2d(s.a_scale[ring.stage], load.a_scale_map, full, scale_box_first_row(load.a_row), k);
      }
      load_b_scales<E>(s, ring.stage, load, k);
    }
    if (!tma_a) {
      // Chunk c of row r lands at chunk c ^ (r % 8) of the row: the 128B swizzle TMA writes.
      const int chunk = thread % 8;
      const int column = k0 + chunk * 16;
#pragma unroll
      for (int i = 0; i < E::kGatherRowsPerThread; ++i) {
        const int row = thread / 8 + 16 * i;
        // Volatile: read again each K step rather than kept in registers across the loop.
        const int packed_row = *static_cast<volatile const std::int32_t*>(&s.gather_rows[row]);
        const bool present = packed_row >= 0;
        const std::uint8_t* src = load.a_base + static_cast<std::int64_t>(present ? packed_row : 0) * load.a_row_bytes;
        const bool valid = present && column < load.a_codes_bytes;
        std::uint8_t* dst = s.a[ring.stage] + row * 128 + ((chunk ^ (row % 8)) * 16);
        ptx::cp_async_16_zfill(dst, valid ? src + column : load.a_base, valid);
        if (chunk == 0) {
          const float* scale = reinterpret_cast<const float*>(src + load.a_codes_bytes) + k;
          ptx::cp_async_4_zfill(&s.a_scale[ring.stage][row], present ? static_cast<const void*>(scale) : load.a_base,
                                present);
        }
      }
    }
    ptx::cp_async_arrive_noinc(full);
  }
  if (k_steps == 0) near_end();
}

// Columns of B a consumer multiplies per wgmma group (a slice: two 64-row quarters of B, each one
// weight block), and the slices of a stage. Slices of one quarter (m64n64k32, four waits a stage)
// measured within 5% either way on an H200 (bench/notes.md, fifteenth session).
constexpr int kFp8SliceN = 128;
constexpr int kFp8Slices = kBlockNB / kFp8SliceN;
static_assert(kFp8Slices == 2, "consume_tile_fp8 runs slices 0 and 1");

// acc[S * slice + i] += partial[i] x (row scale x block scale), S = kFp8SliceN / 2: an m64nS
// partial's register i is register S * slice + i of the m64n256 tile (wgmma::accumulator_coord);
// registers 4g, 4g + 1 hold the thread's first row, 4g + 2, 4g + 3 its row 8 below, and each 32
// registers one quarter of B. scale[quarter within the slice][row]. One FFMA each: a select for
// the first K block instead (acc = scaled) kept the products in registers of their own, and the
// consumer spilled.
template <int kSlice>
__device__ __forceinline__ void promote_slice(float (&acc)[128], const float (&partial)[kFp8SliceN / 2],
                                              const float (&scale)[kFp8SliceN / 64][2]) {
#pragma unroll
  for (int i = 0; i < kFp8SliceN / 2; ++i) {
    float& sum = acc[kFp8SliceN / 2 * kSlice + i];
    sum = fmaf(partial[i], scale[i / 32][(i & 2) ? 1 : 0], sum);
  }
}

// One slice of a stage: its B quarters times the consumer's 64 rows into the partial, awaited, then
// promoted. The scales are read from the stage, which stays full until the last slice's wait.
template <int kSlice>
__device__ __forceinline__ void consume_slice_fp8(float (&acc)[128], float (&partial)[kFp8SliceN / 2],
                                                  std::uint64_t desc_a, std::uint64_t desc_b, const float* a_scale,
                                                  const float* b_scale) {
  constexpr int kQuarters = kFp8SliceN / 64;
  float scale[kQuarters][2];
#pragma unroll
  for (int q = 0; q < kQuarters; ++q) {
    const float block_scale = b_scale[kSlice * kQuarters + q];
    scale[q][0] = a_scale[0] * block_scale;
    scale[q][1] = a_scale[8] * block_scale;
    wgmma::fence_accumulators(scale[q]);
  }
  desc_b = wgmma::advance_bytes(desc_b, kSlice * kFp8SliceN * 128);
  wgmma::fence_accumulators(partial);
  wgmma::fence();
#pragma unroll
  for (int kk = 0; kk < kFp8BlockK / 32; ++kk) {
    wgmma::mma_m64n128k32_e4m3(partial, wgmma::advance_bytes(desc_a, kk * 32), wgmma::advance_bytes(desc_b, kk * 32),
                               kk > 0);
  }
  wgmma::commit_group();
  wgmma::wait_group<0>();
  wgmma::fence_accumulators(partial);
  promote_slice<kSlice>(acc, partial, scale);
}

// Consumer warpgroup `consumer`: its 64 rows (64 * consumer + [0, 64)) of one FP8 tile times all
// 256 columns of B, over `k_steps` stages, into acc (64 x 256, f32, the scales applied). Row r's
// scale is at a_scale[stage][scale_shift + r] (Storage::a_scale).
template <typename E>
__device__ __forceinline__ void consume_tile_fp8(typename E::Storage& s, StageRing& ring, int k_steps,
                                                 float (&acc)[128], int consumer, bool active, bool a_gathered,
                                                 int scale_shift, int thread) {
  if (!active) {  // as consume_tile: thread 0 alone passes the stages on
    for (int k = 0; k < k_steps; ++k, ring.advance<E::kStages>()) {
      if (thread == 0) {
        ptx::mbarrier_wait(&s.full[ring.stage], ring.phase);
        release_stage<E>(s, ring.stage);
      }
    }
    return;
  }
  const int first_row = scale_shift + consumer * kWarpgroupRows + wgmma::accumulator_coord(0, thread).row;
  float partial[kFp8SliceN / 2];
#pragma unroll
  for (int i = 0; i < 128; ++i) acc[i] = 0.0f;
  for (int k = 0; k < k_steps; ++k, ring.advance<E::kStages>()) {
    ptx::mbarrier_wait(&s.full[ring.stage], ring.phase);
    if (a_gathered) ptx::fence_proxy_async_shared();
    const std::uint64_t desc_a = wgmma::make_desc_k_major_sw128(s.a[ring.stage] + consumer * kWarpgroupRows * 128);
    const std::uint64_t desc_b = wgmma::make_desc_k_major_sw128(s.b[ring.stage]);
    const float* a_scale = &s.a_scale[ring.stage][first_row];
    const float* b_scale = s.b_scale[ring.stage];
    // Each slice's promotion overlaps the other consumer's MMA. Every thread has read the stage's
    // scales before the last slice's wgmma completes (each reads them before it issues), and
    // thread 0 releases the stage only after that.
    consume_slice_fp8<0>(acc, partial, desc_a, desc_b, a_scale, b_scale);
    consume_slice_fp8<1>(acc, partial, desc_a, desc_b, a_scale, b_scale);
    if (thread == 0) release_stage<E>(s, ring.stage);
  }
}

}  // namespace moe_kernels
