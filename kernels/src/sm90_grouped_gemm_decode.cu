// epmoe's grouped GEMMs for up to 64 tokens: the decode kernel's pipeline (decode_pipeline.cuh) as
// two kernels of the epmoe pipeline. Each CTA takes an equal run of the GEMM's K steps over the
// experts with rows (from the scan kernel's offsets); the token rows come by TMA from the permuted
// x (gate/up) or from h (down); partial sums go to an f32 workspace, and the CTA that completes an
// (expert, output tile) writes it in bf16, h with the activation or the expert's y rows, on its
// consumers or, with the hand-off, its finisher warps (decode_handoff.cuh).
// Launched with programmatic stream serialisation, a kernel streams the weights of its first
// stages while the previous kernel finishes, and waits for it only before loading token rows.
#include "moe_kernels/detail/decode_pipeline.cuh"
#include "moe_kernels/detail/grouped_decode_frame.cuh"
#include "moe_kernels/detail/stream_launch.cuh"
#include "moe_kernels/launch.hpp"

namespace moe_kernels {

namespace {

struct GroupedDecodeArgs {
  GroupedGemmMaps maps;  // a: 2D over the token rows, box kDecodeMaxTokens rows
  MoeGeometry geometry;
  const std::int32_t* expert_offsets;  // (local_experts + 1), from the scan kernel
  GroupedDecodeWorkspace workspace;
  __nv_bfloat16* out;  // h (gate/up) or y (down)
  Activation activation;
};

template <bool kGateUp>
__device__ __forceinline__ void run_grouped_producer(const GroupedDecodeArgs& a, DecodeStorage& s, const StepRun& run,
                                                     int tiles, int k_steps) {
  const int lane = threadIdx.x % 32;
  StageRing ring;
  for_each_unit(run, tiles, k_steps, [&](const DecodeUnit& unit) {
    const int expert = s.routes.active_expert[unit.active];
    const StageWeights weights = kGateUp ? StageWeights{&a.maps.b, &a.maps.b_up, unit.tile * kGateUpBlock, expert}
                                         : StageWeights{&a.maps.b, nullptr, unit.tile * kBlockNB, expert};
    produce_tma_unit(s, ring, weights, &a.maps.a, s.routes.active_offset[unit.active], unit.k_begin, unit.k_end, lane,
                     [] {
                       ptx::wait_prior_grids();
                       return true;
                     });
  });
}

// What follows a split unit's sums, on `team` (the consumers, or the finishers once they have
// taken the unit): the tile's count, and where this CTA completes the tile, the tile in bf16.
template <bool kGateUp, typename Team>
__device__ __forceinline__ void finish_grouped_unit(const GroupedDecodeArgs& a, DecodeStorage& s,
                                                    const DecodeUnit& unit, int tiles, int k_steps, Team team) {
  const MoeGeometry& g = a.geometry;
  const int expert = s.routes.active_expert[unit.active], row_begin = s.routes.active_offset[unit.active];
  const int tokens = s.routes.active_offset[unit.active + 1] - row_begin;
  const int partial_stride = grouped_decode_partial_columns(kGateUp, g);
  int* tile_steps = a.workspace.tile_steps + static_cast<std::int64_t>(expert) * tiles + unit.tile;
  if (!count_and_check_last(s.handoff, tile_steps, unit.k_end - unit.k_begin, k_steps, team)) return;
  if constexpr (kGateUp) {
    finish_gate_up_tile(a.activation, a.workspace.partial, partial_stride, row_begin, tokens, unit.tile, a.out,
                        g.intermediate_stride(), g.intermediate, team);
  } else {
    finish_rows_block(a.workspace.partial, partial_stride, row_begin, tokens, unit.tile * kBlockNB, g.hidden, a.out,
                      g.hidden_stride(), team);
  }
}

template <bool kGateUp, DecodeFinish kFinish>
__device__ __forceinline__ void run_grouped_consumer(const GroupedDecodeArgs& a, DecodeStorage& s, const StepRun& run,
                                                     int tiles, int k_steps) {
  const MoeGeometry& g = a.geometry;
  const int thread = threadIdx.x, consumer = thread / kProducerThreads, in_warpgroup = thread % kProducerThreads;
  const int partial_stride = grouped_decode_partial_columns(kGateUp, g);
  StageRing ring, posts;
  for_each_unit(run, tiles, k_steps, [&](const DecodeUnit& unit) {
    const int row_begin = s.routes.active_offset[unit.active];
    const int tokens = s.routes.active_offset[unit.active + 1] - row_begin;
    const bool whole_tile = unit.k_begin == 0 && unit.k_end == k_steps;
    with_token_width(tokens, [&](auto n) {
      constexpr int kN = decltype(n)::value;
      DecodeAccumulators<kN> acc;
      decode_mainloop<kN>(s, ring, unit.k_end - unit.k_begin, acc, false, consumer, in_warpgroup);
      if (!whole_tile) {
        add_rows_partial<kN>(acc, a.workspace.partial, partial_stride, row_begin, tokens, unit.tile * kBlockNB,
                             partial_stride, consumer, in_warpgroup);
      } else if constexpr (kGateUp) {
        with_activation(a.activation, [&](auto act) {
          store_gate_up_direct<kN>(acc, act, a.out, g.intermediate_stride(), row_begin, tokens, unit.tile,
                                   g.intermediate, consumer, in_warpgroup);
        });
      } else {
        store_rows_direct<kN>(acc, a.out, g.hidden_stride(), row_begin, tokens, unit.tile * kBlockNB, g.hidden,
                              consumer, in_warpgroup);
      }
    });
    if (whole_tile) return;  // written: nothing to count
    if constexpr (kFinish == DecodeFinish::kHandoff) post_unit(s.handoff, posts, thread);
    else finish_grouped_unit<kGateUp>(a, s, unit, tiles, k_steps, ConsumerTeam{thread});
  });
}

// The finishers (with the hand-off; without it they return at once): each split unit the consumers post, in their
// order.
template <bool kGateUp, DecodeFinish kFinish>
__device__ __forceinline__ void run_grouped_finishers(const GroupedDecodeArgs& a, DecodeStorage& s, const StepRun& run,
                                                      int tiles, int k_steps) {
  if constexpr (kFinish == DecodeFinish::kInline) return;
  const FinisherTeam team = this_finisher();
  StageRing posts;
  for_each_unit(run, tiles, k_steps, [&](const DecodeUnit& unit) {
    if (unit.k_begin == 0 && unit.k_end == k_steps) return;  // never posted
    take_unit(s.handoff, posts);
    finish_grouped_unit<kGateUp>(a, s, unit, tiles, k_steps, team);
  });
}

template <bool kGateUp, DecodeFinish kFinish>
__global__ void __launch_bounds__(kDecodeThreads, 1)
    grouped_decode_kernel(const __grid_constant__ GroupedDecodeArgs a) {
  if (is_decode_map_prefetcher()) {
    if constexpr (kGateUp) ptx::prefetch_tensor_maps(&a.maps.a, &a.maps.b, &a.maps.b_up);
    else ptx::prefetch_tensor_maps(&a.maps.a, &a.maps.b);
  }
  extern __shared__ std::uint8_t smem_raw[];
  DecodeStorage& s = decode_storage(smem_raw);
  constexpr DecodeRegisterSplit kSplit = decode_register_split(kFinish);
  run_grouped_decode<kGateUp, kSplit.producer, kSplit.consumer, kDecodeFullArrivals>(
      s, a.geometry, a.expert_offsets, kBlockK,
      [&](const StepRun& run, int tiles, int k_steps) { run_grouped_producer<kGateUp>(a, s, run, tiles, k_steps); },
      [&](const StepRun& run, int tiles, int k_steps) {
        run_grouped_finishers<kGateUp, kFinish>(a, s, run, tiles, k_steps);
      },
      [&](const StepRun& run, int tiles, int k_steps) {
        run_grouped_consumer<kGateUp, kFinish>(a, s, run, tiles, k_steps);
      });
}

template <bool kGateUp, DecodeFinish kFinish>
cudaError_t launch_grouped_decode_kernel(const GroupedDecodeArgs& args, int num_ctas, cudaStream_t stream,
                                         StreamOrder order) {
  const cudaError_t status = cudaFuncSetAttribute(grouped_decode_kernel<kGateUp, kFinish>,
                                                  cudaFuncAttributeMaxDynamicSharedMemorySize, kDecodeSmemBytes);
  if (status != cudaSuccess) return status;
  return launch_in_order(order, grouped_decode_kernel<kGateUp, kFinish>, dim3(num_ctas), dim3(kDecodeThreads),
                         kDecodeSmemBytes, stream, args);
}

template <bool kGateUp>
cudaError_t launch_grouped_decode(const GroupedDecodeArgs& args, int num_ctas, cudaStream_t stream, StreamOrder order) {
  return with_decode_finish(args.workspace.finish, [&](auto finish) {
    return launch_grouped_decode_kernel<kGateUp, decltype(finish)::value>(args, num_ctas, stream, order);
  });
}

}  // namespace

cudaError_t launch_grouped_gate_up_decode(const GroupedGemmMaps& maps, const MoeGeometry& g, const RoutingBuffers& r,
                                          Activation act, __nv_bfloat16* h, const GroupedDecodeWorkspace& workspace,
                                          int num_ctas, cudaStream_t stream, StreamOrder order) {
  return launch_grouped_decode<true>({maps, g, r.expert_offsets, workspace, h, act}, num_ctas, stream, order);
}

cudaError_t launch_grouped_down_decode(const GroupedGemmMaps& maps, const MoeGeometry& g, const RoutingBuffers& r,
                                       __nv_bfloat16* y, const GroupedDecodeWorkspace& workspace, int num_ctas,
                                       cudaStream_t stream, StreamOrder order) {
  return launch_grouped_decode<false>({maps, g, r.expert_offsets, workspace, y, Activation::kSilu}, num_ctas, stream,
                                      order);
}

}  // namespace moe_kernels
