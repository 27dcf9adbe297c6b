// The tile engine's FP8 variant (W8A8, block-scaled: docs/fp8.md). A stage holds the bf16 engine's
// bytes for a 64-row tile: A 64 token rows x 128 bytes, B 256 weight rows x 128 bytes, both
// 128B-swizzled; 128 bytes of e4m3 are 128 K columns, exactly one scale group. So each stage also
// carries its scales: one per A row (the row's activation group) and one per 64 weight rows (the
// weight block each quarter of B lies in).
//
// A consumer cannot let the tensor cores sum across K blocks: every block's partial sum has its
// own scale, and Hopper accumulates FP8 products with fewer bits than f32. So per stage it runs
// m64n128k32 into a fresh f32 partial, waits for it, and adds partial x (row scale x block scale)
// into the tile's f32 accumulators (DeepGEMM's promotion). Accumulators and partial of a 64 x 256
// tile per consumer would take 192 registers, so the two consumers split the tile's columns
// instead of its rows: consumer c multiplies all 64 rows by B's quarters 2c and 2c + 1 (64 + 64
// registers). For gate/up those quarters are 64 gate and the same 64 up columns, so each consumer
// applies the activation to its own half (fp8_epilogues.cuh). While one consumer promotes, the
// other's wgmma runs.
#pragma once

#include <cstdint>

#include "moe_kernels/detail/moe_schedule.cuh"
#include "moe_kernels/detail/ptx.cuh"
#include "moe_kernels/detail/tile_pipeline.cuh"
#include "moe_kernels/detail/wgmma.cuh"
#include "moe_kernels/moe_types.hpp"

namespace moe_kernels {

struct Fp8Engine {
  static constexpr bool kFp8 = true;
  static constexpr int kConsumers = 2;
  static constexpr int kTailRows = 0;
  static constexpr int kBlockM = kFp8BlockM;  // both consumers take every row
  static_assert(kBlockM == kWarpgroupRows, "the consumers' accumulators are wgmma M = 64 rows");
  static constexpr int kAccumulators = 64;  // 64 x 128 f32 per consumer
  static constexpr int kThreads = kProducerThreads * (1 + kConsumers);
  static constexpr int kBoxBytesA = kBlockM * kFp8BlockK;
  static constexpr int kStageBytesA = kBoxBytesA;
  static constexpr int kStageBytesB = kBlockNB * kFp8BlockK;       // 32 KiB
  static constexpr int kScaleBoxRowsA = kBlockM + kScaleBoxSlack;  // moe_types.hpp: 16-byte aligned boxes
  static constexpr int kScaleBytesA = kScaleBoxRowsA * 4;
  static constexpr int kStages = 5;  // 200 KiB
  static constexpr int kGatherRowsPerThread = kBlockM * 8 / kProducerThreads;
  static constexpr int kTailGatherRowsPerThread = 0;

  struct alignas(1024) Storage {
    std::uint8_t a[kStages][kStageBytesA];
    std::uint8_t b[kStages][kStageBytesB];
    // A TMA box (the tile's rows from scale_box_first_row, so row r at r + scale_box_shift(the
    // tile's first row)) or gathered words (row r at r); 128-byte aligned slots.
    alignas(128) float a_scale[kStages][scale_box_slot_words(kBlockM)];
    float b_scale[kStages][4];  // B's four 64-row quarters
    // The gate/up epilogue's per-row amax of each consumer's half, by tile parity.
    float row_amax[2][kConsumers][kBlockM];
    std::uint64_t full[kStages];
    std::uint64_t empty[kStages];
    ScheduledTile tiles[2];
    std::int32_t schedule_prefix[kScheduleCacheEntries];
    std::int32_t schedule_offsets[kScheduleCacheEntries];
    std::int32_t schedule_order[kScheduleCacheEntries];
    std::uint64_t tile_full[2];
    std::uint64_t tile_empty[2];
  };
  static constexpr int kSmemBytes = static_cast<int>(sizeof(Storage)) + 1024;
  // Every producer thread arrives through cp.async (scales, gathered rows, or nothing) and thread
  // 0 also with the TMA bytes.
  static constexpr int kFullArrivals = kProducerThreads + 1;

  static __device__ __forceinline__ Storage& storage(std::uint8_t* dynamic_smem) {
    return aligned_storage<Storage>(dynamic_smem);
  }
  static __device__ __forceinline__ void init(Storage& s) { init_rings<Fp8Engine>(s); }
};

// What an FP8 tile's producer loads for each K step (TileLoad's FP8 counterpart).
struct Fp8TileLoad {
  int a_mode;  // kLoadATma or kLoadAGather
  // TMA A: rows [a_row, a_row + 64) of the codes map (K bytes, rows) and of the scale map (rows,
  // groups): Fp8Rows.
  const CUtensorMap* a_map;
  const CUtensorMap* a_scale_map;
  int a_row;
  // Gathered A: this thread's packed rows (row = thread / 8 + 16 * i; Fp8PackedRows), null for
  // padding rows, and any valid address for the zero-filling copies to name.
  const std::uint8_t* a_rows[Fp8Engine::kGatherRowsPerThread];
  const std::uint8_t* a_base;
  int a_codes_bytes;  // codes per packed row; its scales follow them
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
};

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
    if (thread == 0) {
      ptx::mbarrier_arrive_expect_tx(full, E::kStageBytesB + (tma_a ? E::kBoxBytesA + E::kScaleBytesA : 0));
      if (load.b_map2 == nullptr) {
        ptx::tma_load_3d(b, load.b_map, full, k0, load.b_row, load.b_expert);
      } else {
        constexpr int kQuarter = E::kStageBytesB / 4;
        ptx::tma_load_3d(b, load.b_map, full, k0, load.b_row, load.b_expert);
        ptx::tma_load_3d(b + kQuarter, load.b_map2, full, k0, load.b_row, load.b_expert);
        ptx::tma_load_3d(b + 2 * kQuarter, load.b_map, full, k0, load.b_row + 64, load.b_expert);
        ptx::tma_load_3d(b + 3 * kQuarter, load.b_map2, full, k0, load.b_row + 64, load.b_expert);
      }
      if (tma_a) {
        ptx::tma_load_2d(s.a[ring.stage], load.a_map, full, k0, load.a_row);
        ptx::tma_load_2d(s.a_scale[ring.stage], load.a_scale_map, full, scale_box_first_row(load.a_row), k);
      }
#pragma unroll
      for (int quarter = 0; quarter < 4; ++quarter) {
        const float* scales = load.b_scales[load.b_alternating ? quarter & 1 : quarter >> 1];
        // A missing block (past H) reads nothing and names block 0's scales, which always exist.
        ptx::cp_async_4_zfill(&s.b_scale[ring.stage][quarter], scales != nullptr ? scales + k : load.b_scales[0],
                              scales != nullptr);
      }
    }
    if (!tma_a) {
      // Chunk c of row r lands at chunk c ^ (r % 8) of the row: the 128B swizzle TMA writes.
      const int chunk = thread % 8;
      const int column = k0 + chunk * 16;
#pragma unroll
      for (int i = 0; i < E::kGatherRowsPerThread; ++i) {
        const int row = thread / 8 + 16 * i;
        const std::uint8_t* src = load.a_rows[i];
        const bool valid = src != nullptr && column < load.a_codes_bytes;
        std::uint8_t* dst = s.a[ring.stage] + row * 128 + ((chunk ^ (row % 8)) * 16);
        ptx::cp_async_16_zfill(dst, valid ? src + column : load.a_base, valid);
        if (chunk == 0) {
          const void* scale =
              src != nullptr ? static_cast<const void*>(reinterpret_cast<const float*>(src + load.a_codes_bytes) + k)
                             : load.a_base;
          ptx::cp_async_4_zfill(&s.a_scale[ring.stage][row], scale, src != nullptr);
        }
      }
    }
    ptx::cp_async_arrive_noinc(full);
  }
  if (k_steps == 0) near_end();
}

// acc (+)= partial x its scale. In the accumulator layout (wgmma::accumulator_coord) registers
// 4g, 4g + 1 hold the thread's first row and 4g + 2, 4g + 3 its row 8 below; registers [0, 32)
// the partial's columns [0, 64) (B's first quarter of the consumer), [32, 64) the second.
// scale[quarter][row]: the product of the row's and the quarter's block scales.
__device__ __forceinline__ void promote(float (&acc)[64], const float (&partial)[64], const float (&scale)[4],
                                        bool first_block) {
#pragma unroll
  for (int i = 0; i < 64; ++i) {
    const float scaled = partial[i] * scale[(i >= 32 ? 2 : 0) + ((i & 2) ? 1 : 0)];
    acc[i] = first_block ? scaled : acc[i] + scaled;
  }
}

// Consumer warpgroup `consumer`: all 64 rows of one FP8 tile times B's quarters 2 * consumer and
// 2 * consumer + 1, over `k_steps` stages, into acc (64 x 128, f32, the scales applied). Row r's
// scale is at a_scale[stage][scale_shift + r] (Storage::a_scale).
template <typename E>
__device__ __forceinline__ void consume_tile_fp8(typename E::Storage& s, StageRing& ring, int k_steps, float (&acc)[64],
                                                 int consumer, bool active, bool a_gathered, int scale_shift,
                                                 int thread) {
  if (!active) {  // as consume_tile: thread 0 alone passes the stages on
    for (int k = 0; k < k_steps; ++k, ring.advance<E::kStages>()) {
      if (thread == 0) {
        ptx::mbarrier_wait(&s.full[ring.stage], ring.phase);
        ptx::mbarrier_arrive(&s.empty[ring.stage]);
      }
    }
    return;
  }
  const int first_row = scale_shift + wgmma::accumulator_coord(0, thread).row;
  float partial[64];
  for (int k = 0; k < k_steps; ++k, ring.advance<E::kStages>()) {
    ptx::mbarrier_wait(&s.full[ring.stage], ring.phase);
    if (a_gathered) ptx::fence_proxy_async_shared();
    const float a_first = s.a_scale[ring.stage][first_row], a_second = s.a_scale[ring.stage][first_row + 8];
    const float b_first = s.b_scale[ring.stage][2 * consumer], b_second = s.b_scale[ring.stage][2 * consumer + 1];
    float scale[4] = {a_first * b_first, a_second * b_first, a_first * b_second, a_second * b_second};
    // In registers before the wgmma is issued: once thread 0 has seen it complete and released the
    // stage, no thread of the warpgroup still reads the stage's scales.
    wgmma::fence_accumulators(scale);
    const std::uint64_t desc_a = wgmma::make_desc_k_major_sw128(s.a[ring.stage]);
    const std::uint64_t desc_b = wgmma::make_desc_k_major_sw128(s.b[ring.stage] + consumer * (kBlockNB / 2) * 128);
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
    if (thread == 0) ptx::mbarrier_arrive(&s.empty[ring.stage]);
    promote(acc, partial, scale, k == 0);
  }
}

}  // namespace moe_kernels
