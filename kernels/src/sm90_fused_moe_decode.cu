// The fused MoE layer for up to 64 tokens (decode) in one persistent, cooperative sm_90a kernel
// with no grid barrier:
//   1. every CTA routes every token into its own shared memory (decode_routing.cuh);
//   2. each CTA streams its equal run of the gate/up GEMM's K steps, then of the down GEMM's
//      (decode_pipeline.cuh): a producer warp loads, two consumer warpgroups multiply;
//   3. counters hand each finished gate/up tile's activation, each ready expert and each finished
//      block of output columns to the CTA that completed it: to its consumers, or with the
//      hand-off (DecodeFinish::kHandoff, decode_handoff.cuh) to its finisher warps.
// CTA 0 stamps the phases it sees for --profile (fused_stages.hpp): route (logits to shared memory
// and a warp per token), sort by expert, gate_up_gemm, down_gemm from its first down step, and
// combine from the end of its last one (the last output blocks are written by whichever CTAs
// complete them).
#include "moe_kernels/detail/cooperative_launch.cuh"
#include "moe_kernels/detail/decode_pipeline.cuh"
#include "moe_kernels/detail/fused_decode_frame.cuh"
#include "moe_kernels/launch.hpp"

namespace moe_kernels {

namespace {

struct DecodeShape {
  int gate_up_tiles;  // per expert: 128 intermediate columns (256 rows of w13) each
  int gate_up_steps;  // K steps of a gate/up tile: H / 64
  int down_blocks;    // 256 output columns each
  int down_steps;     // K steps of a down tile: I / 64
};

__device__ __forceinline__ DecodeShape decode_shape(const MoeGeometry& g) {
  return {g.gate_up_tiles(), ceil_div(g.hidden, kBlockK), g.down_tiles(), ceil_div(g.intermediate, kBlockK)};
}

__device__ __forceinline__ void run_producer(const FusedMoeDecodeArgs& a, DecodeStorage& s, const DecodeShape& shape,
                                             const DecodeCounters& counters, int ready_stamp) {
  const int lane = threadIdx.x % 32;
  const int active = s.routes.num_active;
  StageRing ring;
  const StepRun gate_up = cta_run(static_cast<long long>(active) * shape.gate_up_tiles * shape.gate_up_steps);
  for_each_unit(gate_up, shape.gate_up_tiles, shape.gate_up_steps, [&](const DecodeUnit& unit) {
    const int tokens = s.routes.active_offset[unit.active + 1] - s.routes.active_offset[unit.active];
    with_token_width(tokens, [&](auto n) {
      produce_gate_up_unit<decltype(n)::value>(s, ring, &a.w13, a.x, a.geometry.hidden_stride(), unit, lane);
    });
  });
  const StepRun down = cta_run(static_cast<long long>(active) * shape.down_blocks * shape.down_steps);
  if (lane == 0 && a.prefetch_down_steps > 0)
    prefetch_run_weights_l2(&a.w2, s.routes, down, shape.down_blocks, shape.down_steps, a.prefetch_down_steps);
  for_each_unit(down, shape.down_blocks, shape.down_steps, [&](const DecodeUnit& unit) {
    const int expert = s.routes.active_expert[unit.active];
    produce_tma_unit(s, ring, StageWeights{&a.w2, nullptr, unit.tile * kBlockNB, expert}, &a.h_map,
                     s.routes.active_offset[unit.active], unit.k_begin, unit.k_end, lane,
                     ExpertReady{a.counters + counters.expert_ready(expert), ready_stamp});
  });
}

// What follows a gate/up unit's stores, on `team` (the consumers, or the finishers once they
// have taken the unit): a split tile's count, and where this CTA completes the tile its
// activation into h; then, where the tile is complete, the expert's count and its ready stamp.
template <typename Team>
__device__ __forceinline__ void finish_gate_up_unit(const FusedMoeDecodeArgs& a, DecodeStorage& s,
                                                    const DecodeShape& shape, const DecodeCounters& counters,
                                                    int ready_stamp, const DecodeUnit& unit, Team team) {
  const DecodeRoutes& routes = s.routes;
  const int expert = routes.active_expert[unit.active], row_begin = routes.active_offset[unit.active];
  if (unit.k_begin != 0 || unit.k_end != shape.gate_up_steps) {
    int* tile_steps = a.counters + counters.gate_up_tile_steps(expert, unit.tile);
    if (!count_and_check_last(s.handoff, tile_steps, unit.k_end - unit.k_begin, shape.gate_up_steps, team)) return;
    finish_gate_up_tile(a.activation, a.gate_up_partial, 2 * shape.gate_up_tiles * kGateUpBlock, row_begin,
                        routes.active_offset[unit.active + 1] - row_begin, unit.tile, a.h,
                        a.geometry.intermediate_stride(), a.geometry.intermediate, team);
  }
  int* tiles_done = a.counters + counters.expert_tiles_done(expert);
  if (count_and_check_last(s.handoff, tiles_done, 1, shape.gate_up_tiles, team) && team.thread == 0)
    ptx::store_release_gpu(a.counters + counters.expert_ready(expert), ready_stamp);
}

// kSpans: the instantiation that records each unit's span (args.tile_spans). kFinish: whether the
// consumers finish each unit themselves or post it to the finishers.
template <bool kSpans, DecodeFinish kFinish>
__device__ __forceinline__ void run_consumer(const FusedMoeDecodeArgs& a, DecodeStorage& s, const DecodeShape& shape,
                                             const DecodeCounters& counters, int ready_stamp) {
  const int thread = threadIdx.x;  // within the consumer warpgroups
  const int consumer = thread / kProducerThreads, in_warpgroup = thread % kProducerThreads;
  const MoeGeometry& g = a.geometry;
  const DecodeRoutes& routes = s.routes;
  const int active = routes.num_active;
  const int partial_stride = 2 * shape.gate_up_tiles * kGateUpBlock;
  StageRing ring, posts;
  auto span = decode_span_recorder<kSpans>(a.tile_spans, a.tile_span_units, 0, thread);
  const StepRun gate_up = cta_run(static_cast<long long>(active) * shape.gate_up_tiles * shape.gate_up_steps);
  for_each_unit(gate_up, shape.gate_up_tiles, shape.gate_up_steps, [&](const DecodeUnit& unit) {
    const int row_begin = routes.active_offset[unit.active];
    const int tokens = routes.active_offset[unit.active + 1] - row_begin;
    span.start();
    with_token_width(tokens, [&](auto n) {
      constexpr int kN = decltype(n)::value;
      DecodeAccumulators<kN> acc;
      decode_mainloop<kN>(s, ring, unit.k_end - unit.k_begin, acc, true, consumer, in_warpgroup);
      span.mainloop_done();
      if (unit.k_begin == 0 && unit.k_end == shape.gate_up_steps) {
        with_activation(a.activation, [&](auto act) {
          store_gate_up_direct<kN>(acc, act, a.h, g.intermediate_stride(), row_begin, tokens, unit.tile, g.intermediate,
                                   consumer, in_warpgroup);
        });
      } else {
        add_rows_partial<kN>(acc, a.gate_up_partial, partial_stride, row_begin, tokens, unit.tile * kBlockNB,
                             partial_stride, consumer, in_warpgroup);
      }
    });
    if constexpr (kFinish == DecodeFinish::kHandoff) post_unit(s.handoff, posts, thread);
    else finish_gate_up_unit(a, s, shape, counters, ready_stamp, unit, ConsumerTeam{thread});
    span.finish(unit, routes.active_expert[unit.active], tokens);
  });
  stamp_stage(a, FusedStage::kDown);
  auto down_span = decode_span_recorder<kSpans>(a.tile_spans, a.tile_span_units, 1, thread);
  const StepRun down = cta_run(static_cast<long long>(active) * shape.down_blocks * shape.down_steps);
  for_each_unit(down, shape.down_blocks, shape.down_steps, [&](const DecodeUnit& unit) {
    const int row_begin = routes.active_offset[unit.active];
    const int tokens = routes.active_offset[unit.active + 1] - row_begin;
    down_span.start();
    with_token_width(tokens, [&](auto n) {
      constexpr int kN = decltype(n)::value;
      DecodeAccumulators<kN> acc;
      decode_mainloop<kN>(s, ring, unit.k_end - unit.k_begin, acc, false, consumer, in_warpgroup);
      down_span.mainloop_done();
      add_down_partial<kN>(acc, routes, a.out_partial, g.hidden, row_begin, tokens, unit.tile, consumer, in_warpgroup);
    });
    if constexpr (kFinish == DecodeFinish::kHandoff) post_unit(s.handoff, posts, thread);
    else finish_down_unit(a, s, shape, counters, unit, ConsumerTeam{thread});
    down_span.finish(unit, routes.active_expert[unit.active], tokens);
  });
  stamp_stage(a, FusedStage::kCombine);
}

// ptxas: see decode_register_split (decode_limits.hpp): no spills with the hand-off, 16 bytes of
// spill stores without (the producer warp's); the 16-byte frame is route_tokens_in_cta's best[]
// (routing.cuh), which only grouped routers touch.
template <bool kSpans, DecodeFinish kFinish>
__global__ void __launch_bounds__(kDecodeThreads, 1)
    fused_moe_decode_kernel(const __grid_constant__ FusedMoeDecodeArgs a) {
  if (is_decode_map_prefetcher()) ptx::prefetch_tensor_maps(&a.w13, &a.w2, &a.h_map);
  extern __shared__ std::uint8_t smem_raw[];
  DecodeStorage& s = decode_storage(smem_raw);
  const DecodeShape shape = decode_shape(a.geometry);
  const DecodeCounters counters{a.geometry.local_experts, shape.gate_up_tiles, shape.down_blocks};
  constexpr DecodeRegisterSplit kSplit = decode_register_split(kFinish);
  run_fused_decode<kSpans, kFinish, kSplit.producer, kSplit.consumer, kDecodeFullArrivals>(
      a, s, shape, counters, [&](int ready_stamp) { run_producer(a, s, shape, counters, ready_stamp); },
      [&](int ready_stamp, const DecodeUnit& unit, FinisherTeam team) {
        finish_gate_up_unit(a, s, shape, counters, ready_stamp, unit, team);
      },
      [&](int ready_stamp) { run_consumer<kSpans, kFinish>(a, s, shape, counters, ready_stamp); });
}

template <bool kSpans>
cudaError_t launch_with_finish(const FusedMoeDecodeArgs& args, int num_ctas, cudaStream_t stream) {
  return with_decode_finish(args.finish, [&](auto finish) {
    return launch_cooperative<DecodeLaunchShape>(fused_moe_decode_kernel<kSpans, decltype(finish)::value>, args,
                                                 num_ctas, stream);
  });
}

}  // namespace

cudaError_t fused_moe_decode_max_ctas(int device, int* num_ctas) {
  return max_cooperative_ctas<DecodeLaunchShape>(fused_moe_decode_kernel<false, DecodeFinish::kInline>, device,
                                                 num_ctas);
}

cudaError_t launch_fused_moe_decode(const FusedMoeDecodeArgs& args, int num_ctas, cudaStream_t stream) {
  return args.tile_spans != nullptr ? launch_with_finish<true>(args, num_ctas, stream)
                                    : launch_with_finish<false>(args, num_ctas, stream);
}

}  // namespace moe_kernels
