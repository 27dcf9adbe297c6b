// The fused MoE layer in block-scaled FP8 (docs/fp8.md) for up to 64 tokens: sm90_fused_moe_decode.cu's
// persistent, cooperative kernel with no grid barrier, on e4m3 operands:
//   1. every CTA routes every token into its own shared memory (decode_routing.cuh);
//   2. the consumers of every CTA quantize their share of x per token per 128 channels, and the
//      CTA that completes x stamps it ready; the producers meanwhile start the weights' stages;
//   3. each CTA streams its equal run of the gate/up GEMM's K steps, then of the down GEMM's
//      (fp8_decode_pipeline.cuh), the token rows of a gate/up step gathered once x is ready;
//   4. counters hand each finished gate/up tile's activation (quantized per row into h), each
//      ready expert and each finished block of output columns to the CTA that completed it: to
//      its consumers, or with the hand-off (decode_handoff.cuh) to its finisher warps.
// CTA 0 stamps the phases it sees for --profile (fused_stages.hpp), as the bf16 decode kernel does;
// its route stage includes its share of x's quantization. With MOEBENCH_TILE_TIMELINE a second
// instantiation records each unit's span, as the bf16 kernel's does.
#include "moe_kernels/detail/cooperative_launch.cuh"
#include "moe_kernels/detail/fp8_decode_pipeline.cuh"
#include "moe_kernels/detail/fused_decode_frame.cuh"
#include "moe_kernels/launch.hpp"

namespace moe_kernels {

namespace {

struct Fp8DecodeShape {
  int gate_up_tiles;  // per expert: 128 intermediate columns (256 rows of w13) each
  int gate_up_steps;  // K steps of a gate/up tile: H / 128
  int down_blocks;    // 256 output columns each
  int down_steps;     // K steps of a down tile: I / 128
};

__device__ __forceinline__ Fp8DecodeShape fp8_decode_shape(const MoeGeometry& g) {
  return {g.gate_up_tiles(), fp8_groups(g.hidden), g.down_tiles(), fp8_groups(g.intermediate)};
}

__device__ __forceinline__ void run_producer(const FusedMoeFp8DecodeArgs& a, Fp8DecodeStorage& s,
                                             const Fp8DecodeShape& shape, const Fp8DecodeCounters& counters,
                                             int ready_stamp) {
  const int lane = threadIdx.x % 32;
  const MoeGeometry& g = a.geometry;
  const DecodeRoutes& routes = s.routes;
  const int active = routes.num_active;
  StageRing ring;
  const XReady x_ready{a.counters + counters.x_ready(), ready_stamp};
  const StepRun gate_up = cta_run(static_cast<long long>(active) * shape.gate_up_tiles * shape.gate_up_steps);
  for_each_unit(gate_up, shape.gate_up_tiles, shape.gate_up_steps, [&](const DecodeUnit& unit) {
    const int expert = routes.active_expert[unit.active], row_begin = routes.active_offset[unit.active];
    const int tokens = routes.active_offset[unit.active + 1] - row_begin;
    with_token_width(tokens, [&](auto n) {
      constexpr int kN = decltype(n)::value;
      produce_fp8_unit(
          s, ring, StageWeights{&a.w13, nullptr, unit.tile * kBlockNB, expert},
          gate_up_quarter_scales(a.scales, g, expert, unit.tile), 0, unit.k_begin, unit.k_end, lane, x_ready,
          [&](int stage, int k) { gather_token_rows<kN>(s, stage, a.x_fp8, routes, row_begin, tokens, k, lane); });
    });
  });
  const StepRun down = cta_run(static_cast<long long>(active) * shape.down_blocks * shape.down_steps);
  for_each_unit(down, shape.down_blocks, shape.down_steps, [&](const DecodeUnit& unit) {
    const int expert = routes.active_expert[unit.active];
    const HRows rows{&a.h_map, &a.h_scale_map, routes.active_offset[unit.active]};
    produce_fp8_unit(s, ring, StageWeights{&a.w2, nullptr, unit.tile * kBlockNB, expert},
                     down_quarter_scales(a.scales, g, expert, unit.tile), kDecodeStageBytesB + kFp8DecodeScaleBytes,
                     unit.k_begin, unit.k_end, lane,
                     ExpertReady{a.counters + counters.expert_ready(expert), ready_stamp},
                     [&](int stage, int k) { load_h_rows(s, stage, rows, k, lane); });
  });
}

// What follows a gate/up unit's sums, on `team` (the consumers, or the finishers once they have
// taken the unit): the tile's count, and where this CTA completes the tile its activation,
// quantized into h; then the expert's count and its ready stamp.
template <typename Team>
__device__ __forceinline__ void finish_gate_up_unit(const FusedMoeFp8DecodeArgs& a, Fp8DecodeStorage& s,
                                                    const Fp8DecodeShape& shape, const Fp8DecodeCounters& counters,
                                                    int ready_stamp, const DecodeUnit& unit, Team team) {
  const DecodeRoutes& routes = s.routes;
  const int expert = routes.active_expert[unit.active], row_begin = routes.active_offset[unit.active];
  int* tile_steps = a.counters + counters.gate_up_tile_steps(expert, unit.tile);
  if (!count_and_check_last(s.handoff, tile_steps, unit.k_end - unit.k_begin, shape.gate_up_steps, team)) return;
  finish_gate_up_tile_fp8(a.activation, a.gate_up_partial, 2 * shape.gate_up_tiles * kGateUpBlock, row_begin,
                          routes.active_offset[unit.active + 1] - row_begin, unit.tile, a.h, a.geometry.intermediate,
                          team);
  int* tiles_done = a.counters + counters.expert_tiles_done(expert);
  if (count_and_check_last(s.handoff, tiles_done, 1, shape.gate_up_tiles, team) && team.thread == 0)
    ptx::store_release_gpu(a.counters + counters.expert_ready(expert), ready_stamp);
}

// kSpans: the instantiation that records each unit's span (args.tile_spans). kFinish: whether the
// consumers finish each unit themselves or post it to the finishers.
template <bool kSpans, DecodeFinish kFinish>
__device__ __forceinline__ void run_consumer(const FusedMoeFp8DecodeArgs& a, Fp8DecodeStorage& s,
                                             const Fp8DecodeShape& shape, const Fp8DecodeCounters& counters,
                                             int ready_stamp) {
  const int thread = threadIdx.x;  // within the consumer warpgroups
  const int consumer = thread / kProducerThreads, in_warpgroup = thread % kProducerThreads;
  const MoeGeometry& g = a.geometry;
  const DecodeRoutes& routes = s.routes;
  const int active = routes.num_active;
  const int partial_stride = 2 * shape.gate_up_tiles * kGateUpBlock;
  quantize_x_share(a.x, g, a.x_fp8, a.counters + counters.x_groups_done(), a.counters + counters.x_ready(), ready_stamp,
                   thread);
  StageRing ring, posts;
  auto span = decode_span_recorder<kSpans>(a.tile_spans, a.tile_span_units, 0, thread);
  const StepRun gate_up = cta_run(static_cast<long long>(active) * shape.gate_up_tiles * shape.gate_up_steps);
  for_each_unit(gate_up, shape.gate_up_tiles, shape.gate_up_steps, [&](const DecodeUnit& unit) {
    const int row_begin = routes.active_offset[unit.active];
    const int tokens = routes.active_offset[unit.active + 1] - row_begin;
    span.start();
    with_token_width(tokens, [&](auto n) {
      constexpr int kN = decltype(n)::value;
      Fp8DecodeAccumulators<kN> acc;
      fp8_decode_mainloop<kN>(s, ring, unit.k_end - unit.k_begin, acc, true, 0, consumer, in_warpgroup);
      span.mainloop_done();
      add_gate_up_partial_fp8<kN>(acc, a.gate_up_partial, partial_stride, row_begin, tokens, unit.tile, consumer,
                                  in_warpgroup);
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
      Fp8DecodeAccumulators<kN> acc;
      fp8_decode_mainloop<kN>(s, ring, unit.k_end - unit.k_begin, acc, false, scale_box_shift(row_begin), consumer,
                              in_warpgroup);
      down_span.mainloop_done();
      add_down_partial_fp8<kN>(acc, routes, a.out_partial, g.hidden, row_begin, tokens, unit.tile, consumer,
                               in_warpgroup);
    });
    if constexpr (kFinish == DecodeFinish::kHandoff) post_unit(s.handoff, posts, thread);
    else finish_down_unit(a, s, shape, counters, unit, ConsumerTeam{thread});
    down_span.finish(unit, routes.active_expert[unit.active], tokens);
  });
  stamp_stage(a, FusedStage::kCombine);
}

// ptxas: a 16-byte frame, no spills (fp8_decode_register_split).
template <bool kSpans, DecodeFinish kFinish>
__global__ void __launch_bounds__(kDecodeThreads, 1)
    fused_moe_fp8_decode_kernel(const __grid_constant__ FusedMoeFp8DecodeArgs a) {
  if (is_decode_map_prefetcher()) ptx::prefetch_tensor_maps(&a.w13, &a.w2, &a.h_map, &a.h_scale_map);
  extern __shared__ std::uint8_t smem_raw[];
  Fp8DecodeStorage& s = fp8_decode_storage(smem_raw);
  const Fp8DecodeShape shape = fp8_decode_shape(a.geometry);
  const Fp8DecodeCounters counters{{a.geometry.local_experts, shape.gate_up_tiles, shape.down_blocks}};
  constexpr DecodeRegisterSplit kSplit = fp8_decode_register_split(kFinish);
  run_fused_decode<kSpans, kFinish, kSplit.producer, kSplit.consumer, kFp8DecodeFullArrivals>(
      a, s, shape, counters, [&](int ready_stamp) { run_producer(a, s, shape, counters, ready_stamp); },
      [&](int ready_stamp, const DecodeUnit& unit, FinisherTeam team) {
        finish_gate_up_unit(a, s, shape, counters, ready_stamp, unit, team);
      },
      [&](int ready_stamp) { run_consumer<kSpans, kFinish>(a, s, shape, counters, ready_stamp); });
}

template <bool kSpans>
cudaError_t launch_with_finish(const FusedMoeFp8DecodeArgs& args, int num_ctas, cudaStream_t stream) {
  return with_decode_finish(args.finish, [&](auto finish) {
    return launch_cooperative<Fp8DecodeLaunchShape>(fused_moe_fp8_decode_kernel<kSpans, decltype(finish)::value>, args,
                                                    num_ctas, stream);
  });
}

}  // namespace

cudaError_t fused_moe_fp8_decode_max_ctas(int device, int* num_ctas) {
  return max_cooperative_ctas<Fp8DecodeLaunchShape>(fused_moe_fp8_decode_kernel<false, DecodeFinish::kInline>, device,
                                                    num_ctas);
}

cudaError_t launch_fused_moe_fp8_decode(const FusedMoeFp8DecodeArgs& args, int num_ctas, cudaStream_t stream) {
  return args.tile_spans != nullptr ? launch_with_finish<true>(args, num_ctas, stream)
                                    : launch_with_finish<false>(args, num_ctas, stream);
}

}  // namespace moe_kernels
