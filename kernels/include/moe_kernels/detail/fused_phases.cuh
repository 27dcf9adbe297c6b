// The GEMM and combine phases of the fused kernels (one GPU and expert-parallel), run inside the
// warp-specialised roles: gate/up with A rows gathered by sorted_token from `a.x` and the
// activation in the epilogue, down with A from h through TMA and a caller-given store of y, and
// the weighted combine. `Args` is either kernel's argument struct; both name their operands
// x, w13, w2, h, h_map, geometry, routing and activation.
#pragma once

#include "moe_kernels/detail/combine.cuh"
#include "moe_kernels/detail/epilogues.cuh"
#include "moe_kernels/detail/gemm_phase.cuh"
#include "moe_kernels/detail/kernel_stamps.cuh"
#include "moe_kernels/detail/routing.cuh"
#include "moe_kernels/moe_types.hpp"

namespace moe_kernels {

// This CTA's tile trace where the kernel keeps one (the expert-parallel kernel, when asked).
template <typename Args>
__device__ __forceinline__ TileTrace* cta_tile_trace(const Args& a) {
  if constexpr (requires { a.cta_trace; }) {
    return a.cta_trace != nullptr ? &a.cta_trace[blockIdx.x].tiles : nullptr;
  } else {
    return nullptr;
  }
}

// Where a GEMM phase's tile spans go (fused_stages.hpp: TileSpan), in kernels that keep them:
// gate/up's (gemm 0) from tile_spans, down's (gemm 1) from tile_spans + tile_span_capacity.
template <typename Args>
__device__ __forceinline__ TileSpan* phase_tile_spans(const Args& a, int gemm) {
  if constexpr (requires { a.tile_spans; }) {
    return a.tile_spans != nullptr ? a.tile_spans + static_cast<std::int64_t>(gemm) * a.tile_span_capacity : nullptr;
  } else {
    return nullptr;
  }
}

// Phase 1 of the one-GPU fused kernels: every token routed (a warp each) and counted per expert.
// The routing scratch reuses the pipeline's shared memory (the GEMM phases come later).
template <typename Args>
__device__ void route_phase(const Args& a, std::uint8_t* smem) {
  const MoeGeometry& g = a.geometry;
  route_tokens_by_warp(a, smem, [&](int, const std::int32_t* ids, const float*, int lane) {
    for (int j = lane; j < g.top_k; j += 32) {
      const int expert = ids[j] - g.expert_begin;
      if (expert >= 0 && expert < g.local_experts) atomicAdd(&a.routing.expert_counts[expert], 1);
    }
    __syncwarp();
  });
}

template <typename E, typename Args>
__device__ __forceinline__ void gate_up_phase(const Args& a, typename E::Storage& s, PipelineState& state, int role) {
  constexpr bool kTails = E::kTailRows > 0;  // tiles carry tails (MoeGeometry::spill): the one-GPU kernel
  const MoeGeometry& g = a.geometry;
  const RoutingBuffers& r = a.routing;
  PhaseTiles phase{r.gate_up_tile_prefix,       r.expert_offsets, g.local_experts,
                   ceil_div(g.hidden, kBlockK), E::kBlockM,       kTails ? g.spill : SpillRule{},
                   g.gate_up_tiles(),           r.tile_counters,  cta_tile_trace(a)};
  phase.done_signal = r.row_block_done;
  phase.spans = phase_tile_spans(a, 0);
  phase.order = r.expert_order;
  phase.a_gathered = true;  // make_load below
  auto make_load = [&](const TileCoord& c, int thread) {
    TileLoad load{};
    load.a_mode = kLoadAGather;
    load.a_base = a.x;
    load.a_row_elems = g.hidden_stride();
    load.tail_rows = c.tail;
#pragma unroll
    for (int i = 0; i < E::kGatherRowsPerThread + E::kTailGatherRowsPerThread; ++i) {
      const int row = thread / 8 + 16 * i;  // rows from kBlockM on are the tail's
      const bool valid = row < E::kBlockM ? row < c.rows : row - E::kBlockM < c.tail;
      const int token = valid ? __ldcg(&r.sorted_token[c.row_begin + row]) : 0;
      load.a_rows[i] = valid ? a.x + static_cast<std::int64_t>(token) * g.hidden_stride() : nullptr;
    }
    load.b_map = &a.w13;
    load.b_map2 = nullptr;
    load.b_row = c.n_block * 2 * kGateUpBlock;
    load.b_expert = c.expert;
    return load;
  };
  auto epilogue = [&](const TileCoord& c, const float(&acc)[128], int row_offset, int thread) {
    store_gate_up_activation(acc, a.activation, a.h, g.intermediate_stride(), c.row_begin + row_offset,
                             c.rows - row_offset, c.n_block * kGateUpBlock, g.intermediate_stride(), thread);
    ptx::fence_proxy_async_global();  // h is read by TMA in the next phase
  };
  if constexpr (kTails) {
    // Runs before the epilogue, whose proxy fence then covers the tail's rows of h too.
    auto tail_epilogue = [&](const TileCoord& c, const auto& tail, int consumer, int thread) {
      store_gate_up_tail(tail.block[0], tail.block[1], a.activation, a.h, g.intermediate_stride(),
                         c.row_begin + E::kBlockM, c.tail, c.n_block * kGateUpBlock + consumer * kWarpgroupRows,
                         g.intermediate_stride(), thread);
    };
    run_gemm_phase<E>(s, state, phase, role, make_load, epilogue, tail_epilogue);
  } else {
    run_gemm_phase<E>(s, state, phase, role, make_load, epilogue);
  }
}

// store(coord, acc, row_offset, thread) writes a consumer's y rows; where the engine's tiles carry
// tails, tail_store(coord, tail, consumer, thread) writes its share of them.
template <typename E, typename Args, typename Store, typename TailStore = NoTailEpilogue>
__device__ __forceinline__ void down_phase(const Args& a, typename E::Storage& s, PipelineState& state, int role,
                                           Store store, TailStore tail_store = {}) {
  constexpr bool kTails = E::kTailRows > 0;  // the tails' A rows come from a.h_tail_map
  static_assert(kTails == kCarriesTails<E, TailStore>, "a kernel whose tiles carry tails stores them");
  const MoeGeometry& g = a.geometry;
  const RoutingBuffers& r = a.routing;
  PhaseTiles phase{r.down_tile_prefix, r.expert_offsets,
                   g.local_experts,    ceil_div(g.intermediate, kBlockK),
                   E::kBlockM,         kTails ? g.spill : SpillRule{},
                   g.down_tiles(),     r.tile_counters + 1,
                   cta_tile_trace(a)};
  // With row-block counts the down GEMM needs no grid barrier after gate/up: each tile waits for
  // the gate/up tiles of its own rows (all consumers of all their output blocks).
  phase.done_wait = r.row_block_done;
  phase.done_target = E::kConsumers * g.gate_up_tiles();
  phase.spans = phase_tile_spans(a, 1);
  phase.order = r.expert_order;
  run_gemm_phase<E>(
      s, state, phase, role,
      [&](const TileCoord& c, int) {
        TileLoad load = tma_tile_load(&a.h_map, c.row_begin, &a.w2, nullptr, c.n_block * kBlockNB, c.expert);
        if constexpr (kTails) {
          load.a_tail_map = &a.h_tail_map;
          load.tail_rows = c.tail;
        }
        return load;
      },
      store, tail_store);
}

// The combine, on the consumer warps only: one warp per token.
template <int kConsumers>
__device__ __forceinline__ void combine_phase(const CombineSource& src, const MoeGeometry& g, const RoutingBuffers& r,
                                              __nv_bfloat16* out) {
  constexpr int kWarps = kConsumers * kProducerThreads / 32;
  const int warp = (threadIdx.x - kProducerThreads) / 32;
  for (int t = blockIdx.x * kWarps + warp; t < g.num_tokens; t += gridDim.x * kWarps)
    combine_token_warp(src, g, r, out, t, threadIdx.x % 32);
}

}  // namespace moe_kernels
