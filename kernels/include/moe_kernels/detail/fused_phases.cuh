// The GEMM and combine phases of the fused kernels (one GPU and expert-parallel), run inside the
// warp-specialised roles: gate/up with A rows gathered by sorted_token from `a.x` and the
// activation in the epilogue, down with A from h through TMA and a caller-given store of y, and
// the weighted combine. `Args` is either kernel's argument struct; both name their operands
// x, w13, w2, h, h_map, geometry, routing and activation.
#pragma once

#include "moe_kernels/detail/combine.cuh"
#include "moe_kernels/detail/epilogues.cuh"
#include "moe_kernels/detail/gemm_phase.cuh"
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

template <int kConsumers, typename Args>
__device__ __forceinline__ void gate_up_phase(const Args& a, typename Engine<kConsumers>::Storage& s,
                                              PipelineState& state, int role) {
  const MoeGeometry& g = a.geometry;
  const RoutingBuffers& r = a.routing;
  PhaseTiles phase{r.gate_up_tile_prefix, r.expert_offsets, g.local_experts, ceil_div(g.hidden, kBlockK),
                   Engine<kConsumers>::kBlockM, g.gate_up_tiles(), r.tile_counters, cta_tile_trace(a)};
  phase.done_signal = r.row_block_done;
  phase.spans = phase_tile_spans(a, 0);
  run_gemm_phase<kConsumers>(
      s, state, phase, role,
      [&](const TileCoord& c, int thread) {
        TileLoad load{};
        load.a_mode = kLoadAGather;
        load.a_base = a.x;
        load.a_row_elems = g.hidden_stride();
#pragma unroll
        for (int i = 0; i < Engine<kConsumers>::kGatherRowsPerThread; ++i) {
          const int row = thread / 8 + 16 * i;
          const int token = row < c.rows ? __ldcg(&r.sorted_token[c.row_begin + row]) : 0;
          load.a_rows[i] = row < c.rows ? a.x + static_cast<std::int64_t>(token) * g.hidden_stride() : nullptr;
        }
        load.b_map = &a.w13;
        load.b_map2 = nullptr;
        load.b_row = c.n_block * 2 * kGateUpBlock;
        load.b_expert = c.expert;
        return load;
      },
      [&](const TileCoord& c, const float(&acc)[128], int row_offset, int thread) {
        store_gate_up_activation(acc, a.activation, a.h, g.intermediate_stride(), c.row_begin + row_offset,
                                 c.rows - row_offset, c.n_block * kGateUpBlock, g.intermediate_stride(), thread);
        ptx::fence_proxy_async_global();  // h is read by TMA in the next phase
      });
}

template <int kConsumers, typename Args, typename Store>
__device__ __forceinline__ void down_phase(const Args& a, typename Engine<kConsumers>::Storage& s, PipelineState& state,
                                           int role, Store store) {
  const MoeGeometry& g = a.geometry;
  const RoutingBuffers& r = a.routing;
  PhaseTiles phase{r.down_tile_prefix, r.expert_offsets, g.local_experts, ceil_div(g.intermediate, kBlockK),
                   Engine<kConsumers>::kBlockM, g.down_tiles(), r.tile_counters + 1, cta_tile_trace(a)};
  // With row-block counts the down GEMM needs no grid barrier after gate/up: each tile waits for
  // the gate/up tiles of its own rows (all consumers of all their output blocks).
  phase.done_wait = r.row_block_done;
  phase.done_target = kConsumers * g.gate_up_tiles();
  phase.spans = phase_tile_spans(a, 1);
  run_gemm_phase<kConsumers>(
      s, state, phase, role,
      [&](const TileCoord& c, int) {
        return tma_tile_load(&a.h_map, c.row_begin, &a.w2, nullptr, c.n_block * kBlockNB, c.expert);
      },
      store);
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
