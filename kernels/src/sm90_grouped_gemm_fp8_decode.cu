// epmoe's grouped GEMMs in block-scaled FP8 for up to 64 tokens: sm90_grouped_gemm_decode.cu's two
// kernels on the FP8 decode pipeline (fp8_decode_pipeline.cuh). Each CTA takes an equal run of
// the GEMM's K steps over the experts with rows; the token rows and their scales come by TMA from
// the permuted x (quantized by the permute kernel) or from h; partial sums go to an f32
// workspace, and the CTA that completes an (expert, output tile) writes it on its consumers or,
// with the hand-off, its finisher warps (decode_handoff.cuh): h quantized per row after the
// activation, or the expert's y rows in bf16. Launched with programmatic stream serialisation, a
// kernel streams the weights of its first stages while the previous kernel finishes, and waits
// for it only before loading token rows.
#include "moe_kernels/detail/fp8_decode_pipeline.cuh"
#include "moe_kernels/detail/grouped_decode_frame.cuh"
#include "moe_kernels/detail/stream_launch.cuh"
#include "moe_kernels/launch.hpp"

namespace moe_kernels {

namespace {

struct GroupedFp8DecodeArgs {
  GroupedGemmFp8Maps maps;  // a, a_scales: box kDecodeMaxTokens rows
  Fp8WeightScales scales;
  MoeGeometry geometry;
  const std::int32_t* expert_offsets;  // (local_experts + 1), from the scan kernel
  GroupedDecodeWorkspace workspace;
  Fp8Rows h;         // gate/up's output
  __nv_bfloat16* y;  // down's output
  Activation activation;
};

// Lane by lane before a step loads token rows: the kernel before this one (the permute or the
// gate/up GEMM) has completed.
struct PriorGridsDone {
  __device__ __forceinline__ bool operator()() const {
    ptx::wait_prior_grids();
    return true;
  }
};

template <bool kGateUp>
__device__ __forceinline__ void run_grouped_producer(const GroupedFp8DecodeArgs& a, Fp8DecodeStorage& s,
                                                     const StepRun& run, int tiles, int k_steps) {
  const int lane = threadIdx.x % 32;
  StageRing ring;
  for_each_unit(run, tiles, k_steps, [&](const DecodeUnit& unit) {
    const int expert = s.routes.active_expert[unit.active];
    const HRows rows{&a.maps.a, &a.maps.a_scales, s.routes.active_offset[unit.active]};
    // gate/up: 64 gate rows, 64 up rows, the next 64 of each (fused's interleave, four boxes).
    const StageWeights weights = kGateUp ? StageWeights{&a.maps.b, &a.maps.b_up, unit.tile * kGateUpBlock, expert}
                                         : StageWeights{&a.maps.b, nullptr, unit.tile * kBlockNB, expert};
    const QuarterScales scales = kGateUp ? gate_up_quarter_scales(a.scales, a.geometry, expert, unit.tile)
                                         : down_quarter_scales(a.scales, a.geometry, expert, unit.tile);
    produce_fp8_unit(s, ring, weights, scales, kDecodeStageBytesB + kFp8DecodeScaleBytes, unit.k_begin, unit.k_end,
                     lane, PriorGridsDone{}, [&](int stage, int k) { load_h_rows(s, stage, rows, k, lane); });
  });
}

// What follows a unit's sums, on `team` (the consumers, or the finishers once they have taken
// the unit): the tile's count, and where this CTA completes the tile, h quantized per row after
// the activation, or the expert's y rows in bf16.
template <bool kGateUp, typename Team>
__device__ __forceinline__ void finish_grouped_unit(const GroupedFp8DecodeArgs& a, Fp8DecodeStorage& s,
                                                    const DecodeUnit& unit, int tiles, int k_steps, Team team) {
  const MoeGeometry& g = a.geometry;
  const int expert = s.routes.active_expert[unit.active], row_begin = s.routes.active_offset[unit.active];
  const int tokens = s.routes.active_offset[unit.active + 1] - row_begin;
  const int partial_stride = grouped_decode_partial_columns(kGateUp, g);
  int* tile_steps = a.workspace.tile_steps + static_cast<std::int64_t>(expert) * tiles + unit.tile;
  if (!count_and_check_last(s.handoff, tile_steps, unit.k_end - unit.k_begin, k_steps, team)) return;
  if constexpr (kGateUp) {
    finish_gate_up_tile_fp8(a.activation, a.workspace.partial, partial_stride, row_begin, tokens, unit.tile, a.h,
                            g.intermediate, team);
  } else {
    finish_rows_block(a.workspace.partial, partial_stride, row_begin, tokens, unit.tile * kBlockNB, g.hidden, a.y,
                      g.hidden_stride(), team);
  }
}

template <bool kGateUp, DecodeFinish kFinish>
__device__ __forceinline__ void run_grouped_consumer(const GroupedFp8DecodeArgs& a, Fp8DecodeStorage& s,
                                                     const StepRun& run, int tiles, int k_steps) {
  const MoeGeometry& g = a.geometry;
  const int thread = threadIdx.x, consumer = thread / kProducerThreads, in_warpgroup = thread % kProducerThreads;
  const int partial_stride = grouped_decode_partial_columns(kGateUp, g);
  StageRing ring, posts;
  for_each_unit(run, tiles, k_steps, [&](const DecodeUnit& unit) {
    const int row_begin = s.routes.active_offset[unit.active];
    const int tokens = s.routes.active_offset[unit.active + 1] - row_begin;
    with_token_width(tokens, [&](auto n) {
      constexpr int kN = decltype(n)::value;
      Fp8DecodeAccumulators<kN> acc;
      fp8_decode_mainloop<kN>(s, ring, unit.k_end - unit.k_begin, acc, false, scale_box_shift(row_begin), consumer,
                              in_warpgroup);
      if constexpr (kGateUp) {
        add_gate_up_partial_fp8<kN>(acc, a.workspace.partial, partial_stride, row_begin, tokens, unit.tile, consumer,
                                    in_warpgroup);
      } else {
        add_rows_partial_fp8<kN>(acc, a.workspace.partial, partial_stride, row_begin, tokens, unit.tile, g.hidden,
                                 consumer, in_warpgroup);
      }
    });
    if constexpr (kFinish == DecodeFinish::kHandoff) post_unit(s.handoff, posts, thread);
    else finish_grouped_unit<kGateUp>(a, s, unit, tiles, k_steps, ConsumerTeam{thread});
  });
}

// The finishers (with the hand-off; without it they return at once): each unit the consumers post, in their order.
template <bool kGateUp, DecodeFinish kFinish>
__device__ __forceinline__ void run_grouped_finishers(const GroupedFp8DecodeArgs& a, Fp8DecodeStorage& s,
                                                      const StepRun& run, int tiles, int k_steps) {
  if constexpr (kFinish == DecodeFinish::kInline) return;
  const FinisherTeam team = this_finisher();
  StageRing posts;
  for_each_unit(run, tiles, k_steps, [&](const DecodeUnit& unit) {
    take_unit(s.handoff, posts);
    finish_grouped_unit<kGateUp>(a, s, unit, tiles, k_steps, team);
  });
}

// ptxas: see fp8_decode_register_split.
template <bool kGateUp, DecodeFinish kFinish>
__global__ void __launch_bounds__(kDecodeThreads, 1)
    grouped_fp8_decode_kernel(const __grid_constant__ GroupedFp8DecodeArgs a) {
  if (is_decode_map_prefetcher()) {
    if constexpr (kGateUp) ptx::prefetch_tensor_maps(&a.maps.a, &a.maps.a_scales, &a.maps.b, &a.maps.b_up);
    else ptx::prefetch_tensor_maps(&a.maps.a, &a.maps.a_scales, &a.maps.b);
  }
  extern __shared__ std::uint8_t smem_raw[];
  Fp8DecodeStorage& s = fp8_decode_storage(smem_raw);
  constexpr DecodeRegisterSplit kSplit = fp8_decode_register_split(kFinish);
  run_grouped_decode<kGateUp, kSplit.producer, kSplit.consumer, kFp8DecodeFullArrivals>(
      s, a.geometry, a.expert_offsets, kFp8Group,
      [&](const StepRun& run, int tiles, int k_steps) { run_grouped_producer<kGateUp>(a, s, run, tiles, k_steps); },
      [&](const StepRun& run, int tiles, int k_steps) {
        run_grouped_finishers<kGateUp, kFinish>(a, s, run, tiles, k_steps);
      },
      [&](const StepRun& run, int tiles, int k_steps) {
        run_grouped_consumer<kGateUp, kFinish>(a, s, run, tiles, k_steps);
      });
}

template <bool kGateUp, DecodeFinish kFinish>
cudaError_t launch_grouped_fp8_decode_kernel(const GroupedFp8DecodeArgs& args, int num_ctas, cudaStream_t stream,
                                             StreamOrder order) {
  const cudaError_t status = cudaFuncSetAttribute(grouped_fp8_decode_kernel<kGateUp, kFinish>,
                                                  cudaFuncAttributeMaxDynamicSharedMemorySize, kFp8DecodeSmemBytes);
  if (status != cudaSuccess) return status;
  return launch_in_order(order, grouped_fp8_decode_kernel<kGateUp, kFinish>, dim3(num_ctas), dim3(kDecodeThreads),
                         kFp8DecodeSmemBytes, stream, args);
}

template <bool kGateUp>
cudaError_t launch_grouped_fp8_decode(const GroupedFp8DecodeArgs& args, int num_ctas, cudaStream_t stream,
                                      StreamOrder order) {
  return with_decode_finish(args.workspace.finish, [&](auto finish) {
    return launch_grouped_fp8_decode_kernel<kGateUp, decltype(finish)::value>(args, num_ctas, stream, order);
  });
}

}  // namespace

cudaError_t launch_grouped_gate_up_fp8_decode(const GroupedGemmFp8Maps& maps, const Fp8WeightScales& scales,
                                              const MoeGeometry& g, const RoutingBuffers& r, Activation act,
                                              const Fp8Rows& h, const GroupedDecodeWorkspace& workspace, int num_ctas,
                                              cudaStream_t stream, StreamOrder order) {
  return launch_grouped_fp8_decode<true>({maps, scales, g, r.expert_offsets, workspace, h, nullptr, act}, num_ctas,
                                         stream, order);
}

cudaError_t launch_grouped_down_fp8_decode(const GroupedGemmFp8Maps& maps, const Fp8WeightScales& scales,
                                           const MoeGeometry& g, const RoutingBuffers& r, __nv_bfloat16* y,
                                           const GroupedDecodeWorkspace& workspace, int num_ctas, cudaStream_t stream,
                                           StreamOrder order) {
  return launch_grouped_fp8_decode<false>(
      {maps, scales, g, r.expert_offsets, workspace, Fp8Rows{}, y, Activation::kSilu}, num_ctas, stream, order);
}

}  // namespace moe_kernels
