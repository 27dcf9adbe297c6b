// The decode kernel's pipeline (sm90_fused_moe_decode.cu). Up to 64 tokens the layer's time is the
// time to stream the selected experts' weights from HBM once, so the kernel is built to keep every
// SM streaming:
// - The weights are the wgmma M (four blocks of 64 rows a stage) and an expert's tokens the N (8,
//   16, 32 or 64): no tile multiplies padding rows it had to load.
// - Each GEMM is one sequence of K steps, expert by expert (those with tokens), output tile by
//   output tile; every CTA takes an equal run of it (stream-K), so each SM streams the same bytes
//   whatever the experts, tiles and K steps are. A run's partial sums are added in f32 (red.add) to
//   a workspace that stays zero between launches.
// - Counters instead of barriers, kept by the consumers or, with the hand-off, by the finisher
//   warps off the consumers' path (decode_handoff.cuh): the CTA that completes a gate/up tile's
//   K steps applies the activation to it (h, bf16) and zeroes its partial sums; the one that
//   completes an expert's tiles stamps the expert ready. A down step loads its weights as soon as its stage is free and
//   only its h rows once their expert is ready, so the weights of the first down steps stream
//   while the last gate/up tiles finish elsewhere. The CTA that completes a block of output
//   columns over every expert writes those columns of the bf16 output (the combine, weights
//   applied in the partial sums).
#pragma once

#include <cstdint>
#include <cuda_bf16.h>
#include <type_traits>

#include "moe_kernels/activation.hpp"
#include "moe_kernels/decode_limits.hpp"
#include "moe_kernels/decode_split.hpp"
#include "moe_kernels/detail/decode_handoff.cuh"
#include "moe_kernels/detail/decode_routing.cuh"
#include "moe_kernels/detail/ptx.cuh"
#include "moe_kernels/detail/tile_pipeline.cuh"
#include "moe_kernels/detail/wgmma.cuh"
#include "moe_kernels/fused_stages.hpp"

namespace moe_kernels {

struct alignas(1024) DecodeStorage {
  std::uint8_t w[kDecodeStages][kDecodeStageBytesW];  // 256 weight rows x 64 K, 128B-swizzled
  std::uint8_t b[kDecodeStages][kDecodeStageBytesB];  // up to 64 token rows x 64 K: x or h
  std::uint64_t full[kDecodeStages];
  std::uint64_t empty[kDecodeStages];
  DecodeRoutes routes;
  DecodeHandoff handoff;
};
constexpr int kDecodeSmemBytes = static_cast<int>(sizeof(DecodeStorage)) + 1024;  // + alignment slack
// The block and shared memory of a decode kernel, as cooperative_launch.cuh takes them.
struct DecodeLaunchShape {
  static constexpr int kThreads = kDecodeThreads;
  static constexpr int kSmemBytes = kDecodeSmemBytes;
};
// The producer warp's 32 lanes (their cp.async gathers or a plain arrival) and lane 0's expect_tx.
constexpr int kDecodeFullArrivals = 33;

__device__ __forceinline__ DecodeStorage& decode_storage(std::uint8_t* dynamic_smem) {
  const auto base = reinterpret_cast<std::uintptr_t>(dynamic_smem);
  return *reinterpret_cast<DecodeStorage*>((base + 1023) & ~std::uintptr_t(1023));
}

// Thread 0, before anything waits on them: the stage ring's barriers (kFullArrivals: the arrivals
// a full barrier waits for) and the hand-off's. Storage: DecodeStorage or Fp8DecodeStorage.
template <int kFullArrivals, typename Storage>
__device__ __forceinline__ void init_decode_barriers(Storage& s) {
  for (int i = 0; i < kDecodeStages; ++i) {
    ptx::mbarrier_init(&s.full[i], kFullArrivals);
    ptx::mbarrier_init(&s.empty[i], kDecodeConsumers);
  }
  init_decode_handoff(s.handoff);
  ptx::fence_barrier_init();
}

// The thread that prefetches a decode kernel's tensor maps as it starts (ptx::prefetch_tensor_maps),
// so that the maps are in the TMA unit while the CTA routes or reads its experts: the producer
// warp's lane 0, which issues the loads.
__device__ __forceinline__ bool is_decode_map_prefetcher() { return threadIdx.x == kDecodeConsumerThreads; }

// ---- the work split (decode_split.hpp) ------------------------------------------------------

__device__ __forceinline__ StepRun cta_run(long long total_steps) {
  return cta_step_run(total_steps, blockIdx.x, gridDim.x);
}

// f(integral_constant N) with the smallest wgmma N of 8, 16, 32 and 64 that holds `tokens`.
template <typename F>
__device__ __forceinline__ void with_token_width(int tokens, F f) {
  if (tokens <= 8) f(std::integral_constant<int, 8>{});
  else if (tokens <= 16) f(std::integral_constant<int, 16>{});
  else if (tokens <= 32) f(std::integral_constant<int, 32>{});
  else f(std::integral_constant<int, 64>{});
}

// ---- producer warp ---------------------------------------------------------------------------

// Gate/up steps of one unit: the weights by TMA, the expert's tokens' x rows gathered by cp.async
// (kN rows, those past `tokens` zero), 16 bytes a lane at a time.
template <int kN>
__device__ __forceinline__ void produce_gate_up_unit(DecodeStorage& s, StageRing& ring, const CUtensorMap* w13,
                                                     const __nv_bfloat16* x, int x_stride, const DecodeUnit& unit,
                                                     int lane) {
  const DecodeRoutes& routes = s.routes;
  const int expert = routes.active_expert[unit.active], row_begin = routes.active_offset[unit.active];
  const int tokens = routes.active_offset[unit.active + 1] - row_begin;
  constexpr int kRowsPerLane = kN / 4;  // 8 lanes a row, 16 bytes each
  const int chunk = lane % 8;
  for (int k = unit.k_begin; k < unit.k_end; ++k, ring.advance<kDecodeStages>()) {
    ptx::mbarrier_wait(&s.empty[ring.stage], ring.phase ^ 1u);
    std::uint64_t* full = &s.full[ring.stage];
    if (lane == 0) {
      ptx::mbarrier_arrive_expect_tx(full, kDecodeStageBytesW);
      ptx::tma_load_3d(s.w[ring.stage], w13, full, k * kBlockK, unit.tile * kBlockNB, expert);
    }
    const int column = k * kBlockK + chunk * 8;
    // The token of each row is read from shared memory again every step: holding 16 row pointers
    // across the loop cost the consumers registers (one register budget serves the whole CTA).
#pragma unroll
    for (int i = 0; i < kRowsPerLane; ++i) {
      const int r = lane / 8 + 4 * i;
      const bool valid = r < tokens && column < x_stride;
      const __nv_bfloat16* src =
          valid ? x + static_cast<std::int64_t>(routes.sorted_token[row_begin + r]) * x_stride + column : x;
      std::uint8_t* dst = s.b[ring.stage] + r * 128 + ((chunk ^ (r % 8)) * 16);
      ptx::cp_async_16_zfill(dst, src, valid);
    }
    ptx::cp_async_arrive_noinc(full);
  }
}

// Where a stage's 256 weight rows come from: one box of 256 rows of `map`, or (second_half not
// null) 128 rows of each map, e.g. epmoe's gate and up weights.
struct StageWeights {
  const CUtensorMap* map;
  const CUtensorMap* second_half;
  int row;
  int expert;
};

// The steps of one unit whose token rows also come by TMA: each stage's weights as soon as the
// stage is free, and its 64 token rows (from `token_row`) once ready() says they are written;
// until then the weights of the next stages keep streaming. Lane 0 decides and issues, the other
// lanes only arrive. ready() runs on lane 0 (it may block).
template <typename Ready>
__device__ __forceinline__ void produce_tma_unit(DecodeStorage& s, StageRing& ring, const StageWeights& weights,
                                                 const CUtensorMap* token_rows, int token_row, int k_begin, int k_end,
                                                 int lane, Ready ready) {
  const int steps = k_end - k_begin;
  StageRing weights_at = ring, rows_at = ring;
  int weights_issued = 0, rows_issued = 0;
  bool rows_ready = false;
  while (rows_issued < steps) {
    if (weights_issued < steps) {
      const bool free = lane == 0 && ptx::mbarrier_try_wait(&s.empty[weights_at.stage], weights_at.phase ^ 1u);
      if (__shfl_sync(0xffffffffu, free ? 1 : 0, 0) != 0) {
        std::uint64_t* full = &s.full[weights_at.stage];
        if (lane == 0) {
          ptx::mbarrier_arrive_expect_tx(full, kDecodeStageBytesW + kDecodeStageBytesB);
          const int k = (k_begin + weights_issued) * kBlockK;
          ptx::tma_load_3d(s.w[weights_at.stage], weights.map, full, k, weights.row, weights.expert);
          if (weights.second_half != nullptr)
            ptx::tma_load_3d(s.w[weights_at.stage] + kDecodeStageBytesW / 2, weights.second_half, full, k, weights.row,
                             weights.expert);
        }
        ptx::mbarrier_arrive(full);
        weights_at.advance<kDecodeStages>();
        ++weights_issued;
        continue;
      }
    }
    if (!rows_ready) rows_ready = __shfl_sync(0xffffffffu, lane == 0 && ready() ? 1 : 0, 0) != 0;
    if (rows_ready && rows_issued < weights_issued) {
      if (lane == 0)
        ptx::tma_load_2d(s.b[rows_at.stage], token_rows, &s.full[rows_at.stage], (k_begin + rows_issued) * kBlockK,
                         token_row);
      rows_at.advance<kDecodeStages>();
      ++rows_issued;
      continue;
    }
    __nanosleep(64);
  }
  ring = weights_at;
}

// Lane 0: the weights of the first `steps` K steps of `run` (units of `tiles_per_expert` tiles of
// k_steps each) into L2, a box of 256 rows (one stage) at a time.
__device__ __forceinline__ void prefetch_run_weights_l2(const CUtensorMap* map, const DecodeRoutes& routes, StepRun run,
                                                        int tiles_per_expert, int k_steps, int steps) {
  run.end = min(run.end, run.begin + steps);
  for_each_unit(run, tiles_per_expert, k_steps, [&](const DecodeUnit& unit) {
    for (int k = unit.k_begin; k < unit.k_end; ++k)
      ptx::tma_prefetch_l2_3d(map, k * kBlockK, unit.tile * kBlockNB, routes.active_expert[unit.active]);
  });
}

// Lane 0's test before the fused kernel's down steps load h: the expert's gate/up tiles are all
// written (its stamp equals `ready_stamp`).
struct ExpertReady {
  const int* stamp;
  int ready_stamp;
  __device__ __forceinline__ bool operator()() const {
    if (ptx::load_acquire_gpu(stamp) != ready_stamp) return false;
    ptx::fence_proxy_async_global();  // h was written through the generic proxy
    return true;
  }
};

// ---- consumer warpgroup ----------------------------------------------------------------------

// Consumer 0's thread 0 of a CTA, in the kernel instantiation that keeps a tile timeline
// (kSpans): each unit's span (fused_stages.hpp: TileSpan) into this CTA's slots of one GEMM, in
// run order, each stamp stored as it is taken. The instantiation without it is the one timed:
// recording in it cost the consumers 12 bytes of spills even with the launch's spans null.
template <bool kSpans>
struct DecodeSpanRecorder {
  TileSpan* spans;    // the launch's spans
  int units_per_cta;  // slots of a CTA in one GEMM
  int gemm;           // 0 gate/up, 1 down
  int next;           // this thread's next slot; -1 on every thread but consumer 0's thread 0

  __device__ __forceinline__ TileSpan* slot() const {
    return spans + (static_cast<long long>(gemm) * gridDim.x + blockIdx.x) * units_per_cta + next;
  }
  __device__ __forceinline__ void start() const {
    if constexpr (kSpans) {
      if (next >= 0) slot()->start_ns = ptx::globaltimer_ns();
    }
  }
  __device__ __forceinline__ void mainloop_done() const {
    if constexpr (kSpans) {
      if (next >= 0) slot()->mainloop_end_ns = ptx::globaltimer_ns();
    }
  }
  // On the finishers' recorder (thread 0 of the finishers), in the same order as the consumers'.
  __device__ __forceinline__ void finished() {
    if constexpr (kSpans) {
      if (next < 0) return;
      slot()->finished_ns = ptx::globaltimer_ns();
      ++next;
    }
  }
  __device__ __forceinline__ void finish(const DecodeUnit& unit, int expert, int tokens) {
    if constexpr (kSpans) {
      if (next < 0) return;
      TileSpan* span = slot();
      span->end_ns = ptx::globaltimer_ns();
      span->cta = static_cast<int>(blockIdx.x);
      span->expert = expert;
      span->rows = tokens;
      span->n_block = unit.tile;
      span->k_steps = unit.k_end - unit.k_begin;
      ++next;
    }
  }
};

// The recorder of GEMM `gemm` for this thread (`thread`: within the consumer warpgroups, or within
// the finishers): slots only on thread 0.
template <bool kSpans>
__device__ __forceinline__ DecodeSpanRecorder<kSpans> decode_span_recorder(TileSpan* spans, int units_per_cta, int gemm,
                                                                           int thread) {
  return DecodeSpanRecorder<kSpans>{spans, units_per_cta, gemm, kSpans && thread == 0 ? 0 : -1};
}

// A consumer warpgroup's two of the stage's four 64-row weight blocks (consumer + 2 j) x kN
// tokens: for gate/up, the gate and the up rows of the same 64 intermediate columns, so that a
// warpgroup holding a whole tile applies the activation in registers.
template <int kN>
using DecodeAccumulators = float[2][kN / 2];

template <int kN>
__device__ __forceinline__ void fence_decode_accumulators(DecodeAccumulators<kN>& acc) {
#pragma unroll
  for (int j = 0; j < 2; ++j) wgmma::fence_accumulators(acc[j]);
}

// A unit's K steps into consumer `consumer`'s acc. `gathered`: the token rows came by cp.async
// (generic proxy), so each stage needs a proxy fence before wgmma reads it. `thread`: within the
// warpgroup.
template <int kN>
__device__ __forceinline__ void decode_mainloop(DecodeStorage& s, StageRing& ring, int steps,
                                                DecodeAccumulators<kN>& acc, bool gathered, int consumer, int thread) {
  int previous_stage = -1;
  for (int k = 0; k < steps; ++k, ring.advance<kDecodeStages>()) {
    ptx::mbarrier_wait(&s.full[ring.stage], ring.phase);
    if (gathered) ptx::fence_proxy_async_shared();
    fence_decode_accumulators<kN>(acc);
    wgmma::fence();
    const std::uint64_t desc_tokens = wgmma::make_desc_k_major_sw128(s.b[ring.stage]);
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      const std::uint64_t desc_weights =
          wgmma::make_desc_k_major_sw128(s.w[ring.stage] + (consumer + 2 * j) * kWarpgroupRows * 128);
#pragma unroll
      for (int kk = 0; kk < kBlockK / 16; ++kk)
        wgmma::mma_m64nNk16<kN>(acc[j], wgmma::advance_k(desc_weights, kk * 16), wgmma::advance_k(desc_tokens, kk * 16),
                                k > 0 || kk > 0);
    }
    wgmma::commit_group();
    wgmma::wait_group<1>();
    fence_decode_accumulators<kN>(acc);
    if (previous_stage >= 0 && thread == 0) ptx::mbarrier_arrive(&s.empty[previous_stage]);
    previous_stage = ring.stage;
  }
  wgmma::wait_group<0>();
  fence_decode_accumulators<kN>(acc);
  if (previous_stage >= 0 && thread == 0) ptx::mbarrier_arrive(&s.empty[previous_stage]);
}

// f(reg, token, column) for each of this thread's accumulator registers of consumer `consumer`
// whose token is below `tokens`: acc[j][reg] holds weight row `column` + j * 128 of the stage
// (blocks consumer and consumer + 2: wgmma::accumulator_coord's row within the block, its column
// the token).
template <int kN, typename F>
__device__ __forceinline__ void for_each_accumulator(int tokens, int consumer, int thread, F f) {
#pragma unroll
  for (int reg = 0; reg < kN / 2; ++reg) {
    const wgmma::AccumulatorCoord at = wgmma::accumulator_coord(reg, thread);
    if (at.col < tokens) f(reg, at.col, consumer * kWarpgroupRows + at.row);
  }
}

// Adds a unit's partial sums into an f32 workspace of rows (sorted rows) by output columns: its
// weight blocks are columns column_begin + [0, 256), those from column_limit on are dropped.
template <int kN>
__device__ __forceinline__ void add_rows_partial(const DecodeAccumulators<kN>& acc, float* partial, int partial_stride,
                                                 int row_begin, int tokens, int column_begin, int column_limit,
                                                 int consumer, int thread) {
  for_each_accumulator<kN>(tokens, consumer, thread, [&](int reg, int token, int row) {
    const int column = column_begin + row;
    float* sums = partial + static_cast<std::int64_t>(row_begin + token) * partial_stride + column;
#pragma unroll
    for (int j = 0; j < 2; ++j)
      if (column + j * kGateUpBlock < column_limit) atomicAdd(sums + j * kGateUpBlock, acc[j][reg]);
  });
}

// A unit that covers its whole tile needs no partial sums: its accumulators are the result.

// h = act(gate, up) straight from a whole gate/up tile's accumulators: the consumer's 64
// intermediate columns of tile `tile` (acc[0] gate, acc[1] up).
template <int kN, typename Act>
__device__ __forceinline__ void store_gate_up_direct(const DecodeAccumulators<kN>& acc, Act act, __nv_bfloat16* h,
                                                     int h_stride, int row_begin, int tokens, int tile,
                                                     int intermediate, int consumer, int thread) {
  for_each_accumulator<kN>(tokens, consumer, thread, [&](int reg, int token, int row) {
    const int column = tile * kGateUpBlock + row;
    if (column < intermediate)
      h[static_cast<std::int64_t>(row_begin + token) * h_stride + column] =
          __float2bfloat16_rn(act(acc[0][reg], acc[1][reg]));
  });
  ptx::fence_proxy_async_global();  // the down steps read h by TMA
}

// The consumer's rows of a whole tile in bf16: out[row_begin + token][column_begin + (consumer's
// blocks)] for columns below column_limit (epmoe's y rows).
template <int kN>
__device__ __forceinline__ void store_rows_direct(const DecodeAccumulators<kN>& acc, __nv_bfloat16* out, int out_stride,
                                                  int row_begin, int tokens, int column_begin, int column_limit,
                                                  int consumer, int thread) {
  for_each_accumulator<kN>(tokens, consumer, thread, [&](int reg, int token, int row) {
    const int column = column_begin + row;
    __nv_bfloat16* at = out + static_cast<std::int64_t>(row_begin + token) * out_stride + column;
#pragma unroll
    for (int j = 0; j < 2; ++j)
      if (column + j * kGateUpBlock < column_limit) at[j * kGateUpBlock] = __float2bfloat16_rn(acc[j][reg]);
  });
}

// The finishing steps below run on a DecodeTeam (decode_handoff.cuh): the consumers or the
// finishers. They read what the other CTAs added from L2, 16 bytes a load, kFinishBatch loads of
// each thread in flight before any of its stores (which the compiler may not move the loads
// past): one L2 round trip per batch, where a loop of scalar loads paid one per element.
constexpr int kFinishBatch = 4;

// The CTA that completed a block of 256 output columns of `rows` rows (from row_begin; their f32
// sums `partial_stride` apart): those columns in bf16 into `out` (rows `out_stride` apart;
// columns from column_limit on dropped), and their sums back to zero. 16 bytes a load where the
// sums' rows are 16-byte aligned (partial_stride a multiple of 4), else 4.
template <typename Team>
__device__ __forceinline__ void finish_rows_block(float* partial, int partial_stride, int row_begin, int rows,
                                                  int column_begin, int column_limit, __nv_bfloat16* out,
                                                  int out_stride, Team team) {
  const int thread = team.thread;
  if (partial_stride % 4 != 0) {
    for (int i = thread; i < rows * kBlockNB; i += Team::kThreads) {
      const int r = row_begin + i / kBlockNB, column = column_begin + i % kBlockNB;
      if (column >= column_limit) continue;
      float* sum = partial + static_cast<std::int64_t>(r) * partial_stride + column;
      const float value = __ldcg(sum);
      *sum = 0.0f;
      out[static_cast<std::int64_t>(r) * out_stride + column] = __float2bfloat16_rn(value);
    }
    return;
  }
  constexpr int kQuads = kBlockNB / 4;
  const int quads = rows * kQuads;
  for (int first = thread; first < quads; first += kFinishBatch * Team::kThreads) {
    float4 sums[kFinishBatch];
#pragma unroll
    for (int b = 0; b < kFinishBatch; ++b) {
      const int i = first + b * Team::kThreads, column = column_begin + (i % kQuads) * 4;
      if (i >= quads || column >= column_limit) continue;
      sums[b] = __ldcg(reinterpret_cast<const float4*>(
          partial + static_cast<std::int64_t>(row_begin + i / kQuads) * partial_stride + column));
    }
#pragma unroll
    for (int b = 0; b < kFinishBatch; ++b) {
      const int i = first + b * Team::kThreads, column = column_begin + (i % kQuads) * 4;
      if (i >= quads || column >= column_limit) continue;
      const int r = row_begin + i / kQuads;
      *reinterpret_cast<float4*>(partial + static_cast<std::int64_t>(r) * partial_stride + column) =
          make_float4(0.0f, 0.0f, 0.0f, 0.0f);
      __nv_bfloat16* row = out + static_cast<std::int64_t>(r) * out_stride + column;
      const float values[4] = {sums[b].x, sums[b].y, sums[b].z, sums[b].w};
#pragma unroll
      for (int c = 0; c < 4; ++c)
        if (column + c < column_limit) row[c] = __float2bfloat16_rn(values[c]);
    }
  }
}

// The CTA that completed gate/up tile `tile` of an expert: h = act(gate, up) for its 128
// intermediate columns, and its partial sums back to zero.
template <typename Act, typename Team>
__device__ __forceinline__ void finish_gate_up_tile(Act act, float* partial, int partial_stride, int row_begin,
                                                    int tokens, int tile, __nv_bfloat16* h, int h_stride,
                                                    int intermediate, Team team) {
  const int thread = team.thread;
  constexpr int kQuads = kGateUpBlock / 4;  // 4 columns a load
  const int quads = tokens * kQuads;
  for (int first = thread; first < quads; first += kFinishBatch * Team::kThreads) {
    float4 gate[kFinishBatch], up[kFinishBatch];
#pragma unroll
    for (int b = 0; b < kFinishBatch; ++b) {
      const int i = first + b * Team::kThreads;
      if (i >= quads) continue;
      float* sums = partial + static_cast<std::int64_t>(row_begin + i / kQuads) * partial_stride + tile * kBlockNB +
                    (i % kQuads) * 4;
      gate[b] = __ldcg(reinterpret_cast<const float4*>(sums));
      up[b] = __ldcg(reinterpret_cast<const float4*>(sums + kGateUpBlock));
    }
#pragma unroll
    for (int b = 0; b < kFinishBatch; ++b) {
      const int i = first + b * Team::kThreads;
      if (i >= quads) continue;
      const int row = row_begin + i / kQuads, column = tile * kGateUpBlock + (i % kQuads) * 4;
      float* sums = partial + static_cast<std::int64_t>(row) * partial_stride + tile * kBlockNB + (i % kQuads) * 4;
      *reinterpret_cast<float4*>(sums) = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
      *reinterpret_cast<float4*>(sums + kGateUpBlock) = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
      __nv_bfloat16* out = h + static_cast<std::int64_t>(row) * h_stride + column;
      const float values[4] = {act(gate[b].x, up[b].x), act(gate[b].y, up[b].y), act(gate[b].z, up[b].z),
                               act(gate[b].w, up[b].w)};
      if (column + 4 <= intermediate) {
        // h rows are 16-byte aligned (intermediate_stride) and column a multiple of 4: 8 bytes.
        const __nv_bfloat162 pair0 = __floats2bfloat162_rn(values[0], values[1]);
        const __nv_bfloat162 pair1 = __floats2bfloat162_rn(values[2], values[3]);
        uint2 packed;
        packed.x = *reinterpret_cast<const unsigned*>(&pair0);
        packed.y = *reinterpret_cast<const unsigned*>(&pair1);
        *reinterpret_cast<uint2*>(out) = packed;
      } else {
#pragma unroll
        for (int c = 0; c < 4; ++c)
          if (column + c < intermediate) out[c] = __float2bfloat16_rn(values[c]);
      }
    }
  }
  ptx::fence_proxy_async_global();  // the down steps read h by TMA
}

template <typename Team>
__device__ __forceinline__ void finish_gate_up_tile(Activation activation, float* partial, int partial_stride,
                                                    int row_begin, int tokens, int tile, __nv_bfloat16* h, int h_stride,
                                                    int intermediate, Team team) {
  with_activation(activation, [&](auto act) {
    finish_gate_up_tile(act, partial, partial_stride, row_begin, tokens, tile, h, h_stride, intermediate, team);
  });
}

// Adds a down unit's partial sums, times each row's routing weight, into its token's f32 output.
template <int kN>
__device__ __forceinline__ void add_down_partial(const DecodeAccumulators<kN>& acc, const DecodeRoutes& routes,
                                                 float* out_partial, int hidden, int row_begin, int tokens, int block,
                                                 int consumer, int thread) {
  for_each_accumulator<kN>(tokens, consumer, thread, [&](int reg, int token, int row) {
    const float weight = routes.sorted_weight[row_begin + token];
    const int column = block * kBlockNB + row;
    float* sums = out_partial + static_cast<std::int64_t>(routes.sorted_token[row_begin + token]) * hidden + column;
#pragma unroll
    for (int j = 0; j < 2; ++j)
      if (column + j * kGateUpBlock < hidden) atomicAdd(sums + j * kGateUpBlock, weight * acc[j][reg]);
  });
}

// The CTA that completed output block `block` over every expert: its columns of out, in bf16,
// and their f32 sums back to zero.
template <typename Team>
__device__ __forceinline__ void finish_output_block(float* out_partial, __nv_bfloat16* out, int num_tokens, int hidden,
                                                    int block, Team team) {
  finish_rows_block(out_partial, hidden, 0, num_tokens, block * kBlockNB, hidden, out, hidden, team);
}

}  // namespace moe_kernels
