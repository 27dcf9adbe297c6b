// The FP8 decode kernels' pipeline (fused: sm90_fused_moe_fp8_decode.cu; epmoe:
// sm90_grouped_gemm_fp8_decode.cu): decode_pipeline.cuh's design (weights as the wgmma M, an
// expert's tokens as N, stream-K over every CTA, counters instead of barriers) on e4m3 operands
// with the block scales of docs/fp8.md:
// - A stage is 128 K (128 bytes of e4m3 a row: one scale block): 256 weight rows, up to 64 token
//   rows, the token rows' group scales and the four 64-row weight quarters' block scales. Each
//   consumer multiplies its two quarters into a partial and promotes it into f32 registers with
//   (weight block scale x token scale), once per stage.
// - fused quantizes the tokens' x once per launch, spread over every CTA's consumers while the
//   producers already stream weights; a gate/up step gathers its token rows once the last CTA has
//   stamped x ready. Token rows that are already quantized and sorted (h; epmoe's permuted x)
//   come by TMA with their scales.
// - Partial sums in f32 (red.add) as in the bf16 kernels; the CTA that completes a gate/up tile
//   applies the activation and quantizes h per token over the tile's 128 columns (one group), on
//   its consumers or, with the hand-off, its finisher warps (decode_handoff.cuh).
#pragma once

#include <cstdint>
#include <cuda_bf16.h>

#include "moe_kernels/activation.hpp"
#include "moe_kernels/decode_limits.hpp"
#include "moe_kernels/detail/decode_pipeline.cuh"
#include "moe_kernels/detail/fp8_quantize.cuh"
#include "moe_kernels/detail/ptx.cuh"
#include "moe_kernels/detail/wgmma.cuh"
#include "moe_kernels/moe_types.hpp"

namespace moe_kernels {

// The bf16 kernel's ring sizes hold the same rows in e4m3 at twice the K: 256 x 128 and 64 x 128.
static_assert(kDecodeStageBytesW == kBlockNB * kFp8BlockK && kDecodeStageBytesB == kDecodeMaxTokens * kFp8BlockK);

struct alignas(1024) Fp8DecodeStorage {
  std::uint8_t w[kDecodeStages][kDecodeStageBytesW];  // 256 weight rows x 128 K, 128B-swizzled
  std::uint8_t b[kDecodeStages][kDecodeStageBytesB];  // up to 64 token rows x 128 K: x or h
  // A TMA box (h, epmoe's x: the unit's rows from scale_box_first_row, row r at r +
  // scale_box_shift(its first row)) or gathered words (fused's x: row r at r); 128-byte aligned.
  alignas(128) float token_scale[kDecodeStages][scale_box_slot_words(kDecodeMaxTokens)];
  float weight_scale[kDecodeStages][4];  // per 64-row quarter of w
  std::uint64_t full[kDecodeStages];
  std::uint64_t empty[kDecodeStages];
  DecodeRoutes routes;
  DecodeHandoff handoff;
};
constexpr int kFp8DecodeSmemBytes = static_cast<int>(sizeof(Fp8DecodeStorage)) + 1024;
struct Fp8DecodeLaunchShape {
  static constexpr int kThreads = kDecodeThreads;
  static constexpr int kSmemBytes = kFp8DecodeSmemBytes;
};
// Lane 0's expect_tx and the 32 lanes when a stage's weights are issued (lanes 0-3 through their
// scale's cp.async), then the 32 lanes again when its token rows are (through their gather's
// cp.async, or plainly after lane 0's TMA).
constexpr int kFp8DecodeFullArrivals = 65;
constexpr int kFp8DecodeScaleBytes = (kDecodeMaxTokens + kScaleBoxSlack) * 4;  // a TMA box of scales
// The register split (setmaxnreg): the producer's loop keeps four scale pointers and its gather's
// addresses, which spilled at 56; the consumers peak near 190 (64 tokens: acc, one partial, the
// tokens' scales). 88 + 2 x 208 = 504 of a sub-partition's 512 a lane; with the hand-off the
// finishers (decode_handoff.cuh) keep four rows of gate and up sums in flight, which spilled 88
// bytes at 88, none at 104 + 2 x 200. ptxas then spills nothing in either (the 16-byte frame is
// route_tokens_in_cta's best[]).
MOE_HOST_DEVICE constexpr DecodeRegisterSplit fp8_decode_register_split(DecodeFinish finish) {
  return finish == DecodeFinish::kHandoff ? DecodeRegisterSplit{104, 200} : DecodeRegisterSplit{88, 208};
}

__device__ __forceinline__ Fp8DecodeStorage& fp8_decode_storage(std::uint8_t* dynamic_smem) {
  const auto base = reinterpret_cast<std::uintptr_t>(dynamic_smem);
  return *reinterpret_cast<Fp8DecodeStorage*>((base + 1023) & ~std::uintptr_t(1023));
}

// ---- x, quantized once per launch ------------------------------------------------------------

// This CTA's consumer warps' share of x's (token, group) items, then thread 0 counts them into
// counters[done]; the CTA that completes all T x groups stamps counters[ready] with ready_stamp.
__device__ __forceinline__ void quantize_x_share(const __nv_bfloat16* x, const MoeGeometry& g, const Fp8Rows& x_fp8,
                                                 int* done, int* ready, int ready_stamp, int thread) {
  const int groups = fp8_groups(g.hidden), items = g.num_tokens * groups;
  const int warps = kDecodeConsumerThreads / 32, lane = thread % 32;
  const int first = blockIdx.x * warps, stride = gridDim.x * warps;
  for (int item = first + thread / 32; item < items; item += stride) {
    const int token = item / groups, group = item % groups;
    fp8::quantize_group_warp(x + static_cast<std::int64_t>(token) * g.hidden_stride(), g.hidden, group,
                             x_fp8.codes + static_cast<std::int64_t>(token) * x_fp8.codes_stride, x_fp8.codes_stride,
                             x_fp8.scales + static_cast<std::int64_t>(group) * x_fp8.scale_stride + token, lane);
  }
  ptx::named_sync(kDecodeConsumerBarrier, kDecodeConsumerThreads);
  if (thread == 0 && first < items) {
    // Items this CTA's warps took: warp w took items first + w + n * stride below `items`.
    int taken = 0;
    for (int w = 0; w < warps; ++w)
      if (first + w < items) taken += (items - first - w - 1) / stride + 1;
    __threadfence();
    if (atomicAdd(done, taken) + taken == items) {
      *done = 0;
      __threadfence();
      ptx::store_release_gpu(ready, ready_stamp);
    }
  }
}

// The test before a gate/up step gathers its token rows: x is quantized in this launch.
struct XReady {
  const int* stamp;
  int ready_stamp;
  __device__ __forceinline__ bool operator()() const { return ptx::load_acquire_gpu(stamp) == ready_stamp; }
};

// ---- producer warp ---------------------------------------------------------------------------

// Where each 64-row quarter of a stage's weights takes its block scale at K block kb:
// quarter[q][kb], or 0 where quarter[q] is null (rows past the matrix).
struct QuarterScales {
  const float* quarter[4];
};

// A gate/up tile of the fused FP8 layout (gate and up alternate every 64 rows): quarters 0 and 2
// the gate block of the tile's 128 intermediate columns, 1 and 3 its up block.
__device__ __forceinline__ QuarterScales gate_up_quarter_scales(const Fp8WeightScales& scales, const MoeGeometry& g,
                                                                int expert, int tile) {
  const std::int64_t block =
      (static_cast<std::int64_t>(expert) * fp8_groups(g.intermediate) + tile) * fp8_groups(g.hidden);
  return {{scales.gate + block, scales.up + block, scales.gate + block, scales.up + block}};
}

// A down block of 256 output columns: quarters 0-1 and 2-3 its two 128-column weight blocks.
__device__ __forceinline__ QuarterScales down_quarter_scales(const Fp8WeightScales& scales, const MoeGeometry& g,
                                                             int expert, int output_block) {
  QuarterScales q{};
#pragma unroll
  for (int quarter = 0; quarter < 4; ++quarter) {
    const int block = 2 * output_block + quarter / 2;
    q.quarter[quarter] = block < fp8_groups(g.hidden)
                             ? scales.down + (static_cast<std::int64_t>(expert) * fp8_groups(g.hidden) + block) *
                                                 fp8_groups(g.intermediate)
                             : nullptr;
  }
  return q;
}

// A gate/up step's token rows: kN rows of the quantized x by cp.async (rows past `tokens` zero),
// 16 bytes a lane, and their scales at K block k, a word a row. Every lane arrives once.
template <int kN>
__device__ __forceinline__ void gather_token_rows(Fp8DecodeStorage& s, int stage, const Fp8Rows& x_fp8,
                                                  const DecodeRoutes& routes, int row_begin, int tokens, int k,
                                                  int lane) {
  const int chunk = lane % 8, column = k * kFp8BlockK + chunk * 16;
#pragma unroll
  for (int i = 0; i < kN / 4; ++i) {
    const int r = lane / 8 + 4 * i;
    const bool valid = r < tokens && column < x_fp8.codes_stride;
    const std::uint8_t* src =
        valid
            ? x_fp8.codes + static_cast<std::int64_t>(routes.sorted_token[row_begin + r]) * x_fp8.codes_stride + column
            : x_fp8.codes;
    // Chunk c of row r lands at chunk c ^ (r % 8): the 128B swizzle the wgmma descriptor reads.
    ptx::cp_async_16_zfill(s.b[stage] + r * 128 + ((chunk ^ (r % 8)) * 16), src, valid);
  }
#pragma unroll
  for (int r = lane; r < kN; r += 32) {
    const bool valid = r < tokens;
    const float* src =
        valid ? x_fp8.scales + static_cast<std::int64_t>(k) * x_fp8.scale_stride + routes.sorted_token[row_begin + r]
              : x_fp8.scales;
    ptx::cp_async_4_zfill(&s.token_scale[stage][r], src, valid);
  }
  ptx::cp_async_arrive_noinc(&s.full[stage]);
}

// Token rows already quantized and sorted (h; epmoe's permuted x): 64 rows of codes from `row` and
// their scales at K block k by TMA (lane 0, load_h_rows); every lane arrives once.
struct HRows {
  const CUtensorMap* codes;
  const CUtensorMap* scales;
  int row;
};

// A stage's 256 weight rows at K column `column`: one box of `map` (second_half null), or four
// boxes of 64 rows alternating between `map` and `second_half` from `row` (epmoe's gate and up
// blocks, placed as fused's interleaved rows are).
__device__ __forceinline__ void load_stage_weights(std::uint8_t* w, const StageWeights& weights, std::uint64_t* full,
                                                   int column) {
  if (weights.second_half == nullptr) {
    ptx::tma_load_3d(w, weights.map, full, column, weights.row, weights.expert);
    return;
  }
  constexpr int kQuarterBytes = kDecodeStageBytesW / 4;
#pragma unroll
  for (int quarter = 0; quarter < 4; ++quarter)
    ptx::tma_load_3d(w + quarter * kQuarterBytes, quarter % 2 == 0 ? weights.map : weights.second_half, full, column,
                     weights.row + (quarter / 2) * kWarpgroupRows, weights.expert);
}

// The steps [k_begin, k_end) of one unit: each stage's weights (and their quarters' scales) as soon
// as the stage is free, its token rows once ready() says they are written; until then the weights
// of the next stages keep streaming. rows_tx: the bytes of the token rows' TMA (0 for a gather).
// load_rows(stage, k) issues the rows of one stage from every lane. ready() runs on every lane.
template <typename Ready, typename LoadRows>
__device__ __forceinline__ void produce_fp8_unit(Fp8DecodeStorage& s, StageRing& ring, const StageWeights& weights,
                                                 const QuarterScales& scales, int rows_tx, int k_begin, int k_end,
                                                 int lane, Ready ready, LoadRows load_rows) {
  const int steps = k_end - k_begin;
  StageRing weights_at = ring, rows_at = ring;
  int weights_issued = 0, rows_issued = 0;
  bool rows_ready = false;
  while (rows_issued < steps) {
    if (weights_issued < steps) {
      const bool free = lane == 0 && ptx::mbarrier_try_wait(&s.empty[weights_at.stage], weights_at.phase ^ 1u);
      if (__shfl_sync(0xffffffffu, free ? 1 : 0, 0) != 0) {
        std::uint64_t* full = &s.full[weights_at.stage];
        const int k = k_begin + weights_issued;
        if (lane == 0) {
          ptx::mbarrier_arrive_expect_tx(full, kDecodeStageBytesW + rows_tx);
          load_stage_weights(s.w[weights_at.stage], weights, full, k * kFp8BlockK);
        }
        if (lane < 4) {
          // A select, not scales.quarter[lane]: an indexed array would live in local memory.
          const float* scale = lane == 0   ? scales.quarter[0]
                               : lane == 1 ? scales.quarter[1]
                               : lane == 2 ? scales.quarter[2]
                                           : scales.quarter[3];
          // A quarter past the matrix reads nothing and names quarter 0's scales, which exist.
          ptx::cp_async_4_zfill(&s.weight_scale[weights_at.stage][lane],
                                scale != nullptr ? scale + k : scales.quarter[0], scale != nullptr);
          ptx::cp_async_arrive_noinc(full);
        } else {
          ptx::mbarrier_arrive(full);
        }
        weights_at.advance<kDecodeStages>();
        ++weights_issued;
        continue;
      }
    }
    // Every lane acquires: each then reads (gathers) what the stamp publishes.
    if (!rows_ready) rows_ready = __all_sync(0xffffffffu, ready());
    if (rows_ready && rows_issued < weights_issued) {
      load_rows(rows_at.stage, k_begin + rows_issued);
      rows_at.advance<kDecodeStages>();
      ++rows_issued;
      continue;
    }
    __nanosleep(64);
  }
  ring = weights_at;
}

__device__ __forceinline__ void load_h_rows(Fp8DecodeStorage& s, int stage, const HRows& h, int k, int lane) {
  std::uint64_t* full = &s.full[stage];
  if (lane == 0) {
    ptx::tma_load_2d(s.b[stage], h.codes, full, k * kFp8BlockK, h.row);
    ptx::tma_load_2d(s.token_scale[stage], h.scales, full, scale_box_first_row(h.row), k);
  }
  ptx::mbarrier_arrive(full);
}

// ---- consumer warpgroup ----------------------------------------------------------------------

// Consumer c multiplies the stage's quarters 2c and 2c + 1: for gate/up the gate and the up rows of
// intermediate columns c * 64 + [0, 64) of the tile, for down output columns c * 128 + [0, 128).
template <int kN>
using Fp8DecodeAccumulators = float[2][kN / 2];

// A unit's K steps into consumer `consumer`'s acc, each stage's product promoted with its scales.
// The two quarters go one after the other through one partial: with a partial each, 64 tokens
// needed more registers than the consumers have. `gathered`: the token rows came by cp.async
// (generic proxy), so each stage needs a proxy fence before wgmma reads it. Token t's scale is at
// token_scale[stage][scale_shift + t] (Fp8DecodeStorage). `thread`: within the warpgroup.
template <int kN>
__device__ __forceinline__ void fp8_decode_mainloop(Fp8DecodeStorage& s, StageRing& ring, int steps,
                                                    Fp8DecodeAccumulators<kN>& acc, bool gathered, int scale_shift,
                                                    int consumer, int thread) {
  // Zeros first and a multiply-add per register: a select of the first step's product kept a
  // second copy of the partial live beside acc.
#pragma unroll
  for (int j = 0; j < 2; ++j)
#pragma unroll
    for (int reg = 0; reg < kN / 2; ++reg) acc[j][reg] = 0.0f;
  float partial[kN / 2];
  // wgmma::accumulator_coord's column within each group of 8, and where its scale lies
  const int lane_col = scale_shift + (thread % 4) * 2;
  for (int k = 0; k < steps; ++k, ring.advance<kDecodeStages>()) {
    ptx::mbarrier_wait(&s.full[ring.stage], ring.phase);
    if (gathered) ptx::fence_proxy_async_shared();
    // The scales in registers before the wgmma is issued: once thread 0 has seen the last one
    // complete and released the stage, no thread of the warpgroup still reads the stage.
    float token_scale[kN / 4];
#pragma unroll
    for (int group = 0; group < kN / 8; ++group) {
      token_scale[2 * group] = s.token_scale[ring.stage][group * 8 + lane_col];
      token_scale[2 * group + 1] = s.token_scale[ring.stage][group * 8 + lane_col + 1];
    }
    float weight_scale[2] = {s.weight_scale[ring.stage][2 * consumer], s.weight_scale[ring.stage][2 * consumer + 1]};
    wgmma::fence_accumulators(token_scale);
    wgmma::fence_accumulators(weight_scale);
    const std::uint64_t desc_tokens = wgmma::make_desc_k_major_sw128(s.b[ring.stage]);
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      const std::uint64_t desc_weights =
          wgmma::make_desc_k_major_sw128(s.w[ring.stage] + (2 * consumer + j) * kWarpgroupRows * 128);
      wgmma::fence_accumulators(partial);
      wgmma::fence();
#pragma unroll
      for (int kk = 0; kk < kFp8BlockK / 32; ++kk)
        wgmma::mma_m64nNk32_e4m3<kN>(partial, wgmma::advance_bytes(desc_weights, kk * 32),
                                     wgmma::advance_bytes(desc_tokens, kk * 32), kk > 0);
      wgmma::commit_group();
      wgmma::wait_group<0>();
      wgmma::fence_accumulators(partial);
#pragma unroll
      for (int reg = 0; reg < kN / 2; ++reg) {
        // Register reg's column: group reg / 4 of 8, then (reg & 1) past the lane's pair.
        acc[j][reg] = fmaf(partial[reg], weight_scale[j] * token_scale[2 * (reg / 4) + (reg & 1)], acc[j][reg]);
      }
    }
    if (thread == 0) ptx::mbarrier_arrive(&s.empty[ring.stage]);
  }
}

// f(j, reg, token, row) for each of this thread's accumulator registers whose token is below
// `tokens`: acc[j][reg] holds row `row` of quarter 2 * consumer + j.
template <int kN, typename F>
__device__ __forceinline__ void for_each_fp8_accumulator(int tokens, int thread, F f) {
#pragma unroll
  for (int reg = 0; reg < kN / 2; ++reg) {
    const wgmma::AccumulatorCoord at = wgmma::accumulator_coord(reg, thread);
    if (at.col >= tokens) continue;
#pragma unroll
    for (int j = 0; j < 2; ++j) f(j, reg, at.col, at.row);
  }
}

// Adds a gate/up unit's partial sums into the f32 sums of its rows, in the bf16 kernel's layout
// (decode_pipeline.cuh: a tile's 128 gate columns, then its 128 up columns).
template <int kN>
__device__ __forceinline__ void add_gate_up_partial_fp8(const Fp8DecodeAccumulators<kN>& acc, float* partial,
                                                        int partial_stride, int row_begin, int tokens, int tile,
                                                        int consumer, int thread) {
  for_each_fp8_accumulator<kN>(tokens, thread, [&](int j, int reg, int token, int row) {
    const int column = tile * kBlockNB + j * kGateUpBlock + consumer * kWarpgroupRows + row;
    atomicAdd(partial + static_cast<std::int64_t>(row_begin + token) * partial_stride + column, acc[j][reg]);
  });
}

// Adds a unit's partial sums into an f32 workspace of rows (sorted rows) by output columns: its
// quarters are columns block * 256 + [0, 256), those from column_limit on are dropped (epmoe's y).
template <int kN>
__device__ __forceinline__ void add_rows_partial_fp8(const Fp8DecodeAccumulators<kN>& acc, float* partial,
                                                     int partial_stride, int row_begin, int tokens, int block,
                                                     int column_limit, int consumer, int thread) {
  for_each_fp8_accumulator<kN>(tokens, thread, [&](int j, int reg, int token, int row) {
    const int column = block * kBlockNB + (2 * consumer + j) * kWarpgroupRows + row;
    if (column < column_limit)
      atomicAdd(partial + static_cast<std::int64_t>(row_begin + token) * partial_stride + column, acc[j][reg]);
  });
}

// Adds a down unit's partial sums, times each row's routing weight, into its token's f32 output.
template <int kN>
__device__ __forceinline__ void add_down_partial_fp8(const Fp8DecodeAccumulators<kN>& acc, const DecodeRoutes& routes,
                                                     float* out_partial, int hidden, int row_begin, int tokens,
                                                     int block, int consumer, int thread) {
  for_each_fp8_accumulator<kN>(tokens, thread, [&](int j, int reg, int token, int row) {
    const int column = block * kBlockNB + (2 * consumer + j) * kWarpgroupRows + row;
    if (column < hidden)
      atomicAdd(out_partial + static_cast<std::int64_t>(routes.sorted_token[row_begin + token]) * hidden + column,
                routes.sorted_weight[row_begin + token] * acc[j][reg]);
  });
}

// The CTA that completed gate/up tile `tile` of an expert: h = act(gate, up) for its 128
// intermediate columns, quantized per row (the tile is one scale group), and the partial sums back
// to zero. A warp per row, 4 columns a lane (a team of w warps: thread t takes rows t / 32 + w n),
// kFinishBatch rows' loads in flight before any store (decode_pipeline.cuh's finishing steps).
template <typename Act, typename Team>
__device__ __forceinline__ void finish_gate_up_tile_fp8(Act act, float* partial, int partial_stride, int row_begin,
                                                        int tokens, int tile, const Fp8Rows& h, int intermediate,
                                                        Team team) {
  constexpr int kWarps = Team::kThreads / 32;
  const int thread = team.thread;
  const int lane = thread % 32, first_column = tile * kGateUpBlock + 4 * lane;
  for (int first = thread / 32; first < tokens; first += kFinishBatch * kWarps) {
    float4 gate[kFinishBatch], up[kFinishBatch];
#pragma unroll
    for (int b = 0; b < kFinishBatch; ++b) {
      const int token = first + b * kWarps;
      if (token >= tokens) continue;
      const float* sums =
          partial + static_cast<std::int64_t>(row_begin + token) * partial_stride + tile * kBlockNB + 4 * lane;
      gate[b] = __ldcg(reinterpret_cast<const float4*>(sums));
      up[b] = __ldcg(reinterpret_cast<const float4*>(sums + kGateUpBlock));
    }
#pragma unroll
    for (int b = 0; b < kFinishBatch; ++b) {
      const int token = first + b * kWarps;
      if (token >= tokens) continue;  // the same for every lane of the warp: its shuffles are whole
      const int row = row_begin + token;
      float* sums = partial + static_cast<std::int64_t>(row) * partial_stride + tile * kBlockNB + 4 * lane;
      *reinterpret_cast<float4*>(sums) = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
      *reinterpret_cast<float4*>(sums + kGateUpBlock) = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
      const float gates[4] = {gate[b].x, gate[b].y, gate[b].z, gate[b].w};
      const float ups[4] = {up[b].x, up[b].y, up[b].z, up[b].w};
      float values[4];
#pragma unroll
      for (int c = 0; c < 4; ++c) values[c] = first_column + c < intermediate ? act(gates[c], ups[c]) : 0.0f;
      fp8::quantize_values_warp(values, first_column, h.codes + static_cast<std::int64_t>(row) * h.codes_stride,
                                h.codes_stride, h.scales + static_cast<std::int64_t>(tile) * h.scale_stride + row,
                                lane);
    }
  }
  ptx::fence_proxy_async_global();  // the down steps read h by TMA
}

template <typename Team>
__device__ __forceinline__ void finish_gate_up_tile_fp8(Activation activation, float* partial, int partial_stride,
                                                        int row_begin, int tokens, int tile, const Fp8Rows& h,
                                                        int intermediate, Team team) {
  with_activation(activation, [&](auto act) {
    finish_gate_up_tile_fp8(act, partial, partial_stride, row_begin, tokens, tile, h, intermediate, team);
  });
}

}  // namespace moe_kernels
