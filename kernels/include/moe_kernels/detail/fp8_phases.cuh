// The FP8 GEMM phases (docs/fp8.md) of the fused kernel, and the weight-scale lookups the grouped
// FP8 GEMMs share with them: gate/up with A rows gathered from the packed e4m3 x by sorted_token
// and the activation quantized in the epilogue; down with A (h's codes and scales) through TMA and
// a bf16 y, as the bf16 phases (fused_phases.cuh) store it.
#pragma once

#include "moe_kernels/detail/epilogues.cuh"
#include "moe_kernels/detail/fp8_epilogues.cuh"
#include "moe_kernels/detail/fp8_pipeline.cuh"
#include "moe_kernels/detail/fp8_quantize.cuh"
#include "moe_kernels/detail/fp8_row_copies.cuh"
#include "moe_kernels/detail/fused_phases.cuh"
#include "moe_kernels/detail/gemm_phase.cuh"
#include "moe_kernels/moe_types.hpp"

namespace moe_kernels {

// A gate/up tile's weight blocks: its gate rows and its up rows of intermediate block n_block
// (B's quarters alternate between them: Fp8TileLoad).
__device__ __forceinline__ void gate_up_block_scales(const Fp8WeightScales& scales, const MoeGeometry& g, int expert,
                                                     int n_block, Fp8TileLoad& load) {
  const std::int64_t block =
      (static_cast<std::int64_t>(expert) * fp8_groups(g.intermediate) + n_block) * fp8_groups(g.hidden);
  load.b_scales[0] = scales.gate + block;
  load.b_scales[1] = scales.up + block;
  load.b_alternating = true;
}

// A down tile's weight blocks: output columns n_block * 256 + [0, 128) and + [128, 256), the
// second null where H ends in the first.
__device__ __forceinline__ void down_block_scales(const Fp8WeightScales& scales, const MoeGeometry& g, int expert,
                                                  int n_block, Fp8TileLoad& load) {
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    const int block = 2 * n_block + half;
    const std::int64_t first =
        (static_cast<std::int64_t>(expert) * fp8_groups(g.hidden) + block) * fp8_groups(g.intermediate);
    load.b_scales[half] = block < fp8_groups(g.hidden) ? scales.down + first : nullptr;
  }
  load.b_alternating = false;
}

// The gate/up epilogue of both FP8 paths: a consumer's rows (from row_offset within the tile) of
// the tile into h.
__device__ __forceinline__ void fp8_gate_up_epilogue(const TileCoord& c, float (&acc)[128], int row_offset,
                                                     Activation activation, const Fp8Rows& h, const MoeGeometry& g,
                                                     int thread) {
  store_gate_up_fp8_activation(acc, activation, h, c.row_begin + row_offset, c.rows - row_offset, c.n_block,
                               g.intermediate, thread);
}

// The down epilogue of both FP8 paths: a consumer's rows of the tile's 256 output columns of y in
// bf16, 16 bytes a store (the tiles are 128 rows: epilogues.cuh).
__device__ __forceinline__ void fp8_down_epilogue(const TileCoord& c, const float (&acc)[128], int row_offset,
                                                  __nv_bfloat16* y, const MoeGeometry& g, int thread) {
  store_rows_bf16_wide(acc, y, g.hidden_stride(), c.row_begin + row_offset, c.rows - row_offset, c.n_block * kBlockNB,
                       g.hidden_stride(), thread);
}

// The fused kernel's gate/up phase in FP8. Args: FusedMoeFp8Args. kSortedX: A by TMA from
// x_sorted (copy_sorted_rows_phase), else gathered from x_fp8's packed rows.
template <typename E, bool kSortedX = false, typename Args>
__device__ __forceinline__ void gate_up_phase_fp8(const Args& a, typename E::Storage& s, PipelineState& state,
                                                  int role) {
  const MoeGeometry& g = a.geometry;
  const RoutingBuffers& r = a.routing;
  PhaseTiles phase{r.gate_up_tile_prefix, r.expert_offsets,  g.local_experts, fp8_groups(g.hidden), E::kBlockM,
                   SpillRule{},           g.gate_up_tiles(), r.tile_counters};
  phase.done_signal = r.row_block_done;
  phase.spans = phase_tile_spans(a, 0);
  phase.a_gathered = !kSortedX;
  auto make_load = [&](const TileCoord& c, int thread) {
    Fp8TileLoad load{};
    if constexpr (kSortedX) {
      load.a_mode = kLoadATma;
      load.a_map = &a.x_map;
      load.a_scale_map = &a.x_scale_map;
      load.a_row = c.row_begin;
    } else {
      load.a_mode = kLoadAGather;
      load.a_base = a.x_fp8.data;
      load.a_codes_bytes = a.x_fp8.codes_bytes;
      load.a_row_bytes = a.x_fp8.row_bytes;
#pragma unroll
      for (int i = 0; i < E::kGatherRowsPerThread; ++i) {
        const int row = thread / 8 + 16 * i;
        s.gather_rows[row] = row < c.rows ? __ldcg(&r.sorted_token[c.row_begin + row]) : -1;
      }
    }
    load.b_map = &a.w13;
    load.b_map2 = nullptr;
    load.b_row = c.n_block * 2 * kGateUpBlock;
    load.b_expert = c.expert;
    gate_up_block_scales(a.scales, g, c.expert, c.n_block, load);
    return load;
  };
  auto epilogue = [&](const TileCoord& c, float(&acc)[128], int row_offset, int thread) {
    fp8_gate_up_epilogue(c, acc, row_offset, a.activation, a.h, g, thread);
    ptx::fence_proxy_async_global();  // h is read by TMA in the next phase
  };
  run_gemm_phase<E>(s, state, phase, role, make_load, epilogue);
}

// The fused kernels' down phase in FP8, y in bf16 by `store` (as fused_phases.cuh's down_phase:
// the one-GPU kernel's fp8_down_epilogue into a.y, the expert-parallel kernel's store to sources).
template <typename E, typename Args, typename Store>
__device__ __forceinline__ void down_phase_fp8(const Args& a, typename E::Storage& s, PipelineState& state, int role,
                                               Store store) {
  const MoeGeometry& g = a.geometry;
  const RoutingBuffers& r = a.routing;
  PhaseTiles phase{r.down_tile_prefix, r.expert_offsets, g.local_experts, fp8_groups(g.intermediate),
                   E::kBlockM,         SpillRule{},      g.down_tiles(),  r.tile_counters + 1};
  phase.done_wait = r.row_block_done;
  phase.done_target = E::kConsumers * g.gate_up_tiles();
  phase.spans = phase_tile_spans(a, 1);
  auto make_load = [&](const TileCoord& c, int) {
    Fp8TileLoad load{};
    load.a_mode = kLoadATma;
    load.a_map = &a.h_map;
    load.a_scale_map = &a.h_scale_map;
    load.a_row = c.row_begin;
    load.b_map = &a.w2;
    load.b_map2 = nullptr;
    load.b_row = c.n_block * kBlockNB;
    load.b_expert = c.expert;
    down_block_scales(a.scales, g, c.expert, c.n_block, load);
    return load;
  };
  run_gemm_phase<E>(s, state, phase, role, make_load, store);
}

}  // namespace moe_kernels
