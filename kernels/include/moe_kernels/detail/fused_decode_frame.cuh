// What the two fused decode kernels (sm90_fused_moe_decode.cu in bf16, sm90_fused_moe_fp8_decode.cu
// in FP8) do around their pipelines: the launch's ready stamp, the stage barriers, routing every
// token in every CTA, the role split, the finishing of down units (and, with the hand-off, the
// finishers' loop) and the last CTA out.
#pragma once

#include "moe_kernels/decode_limits.hpp"
#include "moe_kernels/detail/decode_handoff.cuh"
#include "moe_kernels/detail/decode_pipeline.cuh"
#include "moe_kernels/detail/decode_routing.cuh"
#include "moe_kernels/detail/kernel_stamps.cuh"
#include "moe_kernels/detail/ptx.cuh"

namespace moe_kernels {

// What follows a down unit's sums, on `team` (the consumers, or the finishers once they have
// taken the unit): its output block's count, and where this CTA completes the block, those
// columns of the output. Args: the kernel's (counters, out_partial, out, geometry); Shape: its
// (gate_up_tiles, gate_up_steps, down_blocks, down_steps).
template <typename Args, typename Storage, typename Shape, typename Team>
__device__ __forceinline__ void finish_down_unit(const Args& a, Storage& s, const Shape& shape,
                                                 const DecodeCounters& counters, const DecodeUnit& unit, Team team) {
  int* block_steps = a.counters + counters.down_block_steps(unit.tile);
  if (count_and_check_last(s.handoff, block_steps, unit.k_end - unit.k_begin, s.routes.num_active * shape.down_steps,
                           team))
    finish_output_block(a.out_partial, a.out, a.geometry.num_tokens, a.geometry.hidden, unit.tile, team);
}

// The finishers of a fused decode kernel with the hand-off: each unit its consumers post, in
// their order; finish_gate_up(unit, team) for the gate/up units. kSpans: stamp when each unit is
// finished into its span (TileSpan::finished_ns).
template <bool kSpans, typename Args, typename Storage, typename Shape, typename FinishGateUp>
__device__ __forceinline__ void run_fused_finishers(const Args& a, Storage& s, const Shape& shape,
                                                    const DecodeCounters& counters, FinishGateUp finish_gate_up) {
  const FinisherTeam team = this_finisher();
  const int active = s.routes.num_active;
  StageRing posts;
  auto gate_up_span = decode_span_recorder<kSpans>(a.tile_spans, a.tile_span_units, 0, team.thread);
  const StepRun gate_up = cta_run(static_cast<long long>(active) * shape.gate_up_tiles * shape.gate_up_steps);
  for_each_unit(gate_up, shape.gate_up_tiles, shape.gate_up_steps, [&](const DecodeUnit& unit) {
    take_unit(s.handoff, posts);
    finish_gate_up(unit, team);
    gate_up_span.finished();
  });
  auto down_span = decode_span_recorder<kSpans>(a.tile_spans, a.tile_span_units, 1, team.thread);
  const StepRun down = cta_run(static_cast<long long>(active) * shape.down_blocks * shape.down_steps);
  for_each_unit(down, shape.down_blocks, shape.down_steps, [&](const DecodeUnit& unit) {
    take_unit(s.handoff, posts);
    finish_down_unit(a, s, shape, counters, unit, team);
    down_span.finished();
  });
}

// Args: the kernel's (logits, geometry, router, counters, stage_times, tile_spans). Storage: its
// shared memory (w, the ring the routing scratch lives in until the pipeline starts; full, empty;
// routes; handoff). producer(ready_stamp) runs on one warp of the producer warpgroup,
// consumer(ready_stamp) on the consumer warpgroups; with the hand-off (kFinish) the other three
// producer warps run run_fused_finishers, finish_gate_up(ready_stamp, unit, team) for each gate/up
// unit. The register split: kProducerRegisters, kConsumerRegisters; kFullArrivals: the arrivals a
// full barrier waits for.
template <bool kSpans, DecodeFinish kFinish, int kProducerRegisters, int kConsumerRegisters, int kFullArrivals,
          typename Args, typename Storage, typename Shape, typename Producer, typename FinishGateUp, typename Consumer>
__device__ __forceinline__ void run_fused_decode(const Args& a, Storage& s, const Shape& shape,
                                                 const DecodeCounters& counters, Producer producer,
                                                 FinishGateUp finish_gate_up, Consumer consumer) {
  // Every CTA reads the launch count before any CTA can leave (the last one out advances it), so
  // all agree on the stamp that marks what is ready in this launch.
  const int ready_stamp = __ldcg(a.counters + counters.calls()) + 1;
  stamp_stage(a, FusedStage::kRoute);
  if (threadIdx.x == 0) init_decode_barriers<kFullArrivals>(s);
  route_tokens_in_cta(a.logits, a.geometry, a.router, s.w[0], s.routes, [&] { stamp_stage(a, FusedStage::kSort); });
  stamp_stage(a, FusedStage::kGateUp);
  const auto finishers = [&] {
    if constexpr (kFinish == DecodeFinish::kHandoff) {
      run_fused_finishers<kSpans>(a, s, shape, counters, [&](const DecodeUnit& unit, FinisherTeam team) {
        finish_gate_up(ready_stamp, unit, team);
      });
    }
  };
  run_decode_roles<kProducerRegisters, kConsumerRegisters>([&] { producer(ready_stamp); }, finishers,
                                                           [&] { consumer(ready_stamp); });
  ptx::cta_sync_all();
  if (threadIdx.x == 0 &&
      atomicAdd(reinterpret_cast<unsigned*>(a.counters + counters.ctas_out()), 1u) == gridDim.x - 1) {
    a.counters[counters.ctas_out()] = 0;
    a.counters[counters.calls()] = ready_stamp;
    stamp_now(&a.stage_times->end_ns);
  }
}

}  // namespace moe_kernels
