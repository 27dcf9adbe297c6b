// The fused MoE layer in block-scaled FP8 (W8A8, docs/fp8.md): sm90_fused_moe.cu's persistent,
// cooperative kernel with the FP8 tile engine (fp8_pipeline.cuh). Phases, separated by grid
// barriers:
//   1. route every token and count tokens per expert; meanwhile quantize x per token per 128
//      channels into packed e4m3 rows (the layer's own work: it is timed);
//   2. one CTA scans the counts; 3. scatter (token, slot) pairs into expert order;
//   4. the packed rows copied into expert order (kSortedX, the default), then gate/up GEMM tiles,
//      A loaded by TMA from that copy (or, with MOEBENCH_FUSED_FP8_X=gather, gathered from the
//      packed x), the activation quantized per row in the epilogue into h's codes and scales;
//   5. down GEMM tiles over h through TMA, y in bf16, each tile started once its rows' gate/up
//      tiles are done (as the bf16 kernel does);
//   6. the weighted combine into the bf16 output.
// Tiles of 128 rows, 64 per consumer warpgroup (fp8_pipeline.cuh), without tails; small batches
// take the FP8 decode kernel (sm90_fused_moe_fp8_decode.cu) instead.
#include "moe_kernels/detail/cooperative_launch.cuh"
#include "moe_kernels/detail/fp8_phases.cuh"
#include "moe_kernels/detail/grid_barrier.cuh"
#include "moe_kernels/launch.hpp"

namespace moe_kernels {

namespace {

// kSortedX (args.x_sorted; the default since the seventeenth session, 5-22% faster on an H100):
// after the scatter, one more phase copies x's rows into expert order, and the gate/up tiles load
// A by TMA from there; its producer needs no registers for a gather, so the consumers get 232
// (gemm_phase.cuh). ptxas, nvdisasm -g: <true> a 112-byte frame, 144 bytes of spill stores, none
// inside a K loop (route_phase's best[], routing.cuh; the tile schedule's bookkeeping,
// gemm_phase.cuh); <false> (the gather, consumers at 224) a 144-byte frame, 200 bytes, among them
// a store and two loads of the consumers' stage ring at the head of every K step.
template <bool kSortedX>
__global__ void __launch_bounds__(Fp8Engine::kThreads, 1)
    fused_moe_fp8_kernel(const __grid_constant__ FusedMoeFp8Args a) {
  using E = Fp8Engine;
  extern __shared__ std::uint8_t smem_raw[];
  E::Storage& s = E::storage(smem_raw);
  GridBarrier grid{a.barrier, a.barrier + 1};
  const MoeGeometry& g = a.geometry;
  const RoutingBuffers& r = a.routing;

  stamp_stage(a, FusedStage::kRoute);
  route_phase(a, s.a[0]);
  quantize_tokens_phase(a.x, g, a.x_fp8);
  grid.sync();
  stamp_stage(a, FusedStage::kSort);
  if (blockIdx.x == 0) scan_expert_counts(g, r, reinterpret_cast<int*>(s.a[0]));
  grid.sync();
  const int pairs = g.num_tokens * g.top_k;
  for (int p = blockIdx.x * blockDim.x + threadIdx.x; p < pairs; p += gridDim.x * blockDim.x) scatter_pair(g, r, p);
  E::init(s);
  grid.sync();
  if constexpr (kSortedX) {
    copy_sorted_rows_phase(a.x_fp8, g, r, a.x_sorted);
    grid.sync();
  }

  PipelineState state;
  run_roles<E, !kSortedX>([&](int role) {
    stamp_stage(a, FusedStage::kGateUp);
    gate_up_phase_fp8<E, kSortedX>(a, s, state, role);
    if (r.row_block_done == nullptr) grid.sync();
    stamp_stage(a, FusedStage::kDown);
    down_phase_fp8<E>(a, s, state, role, [&](const TileCoord& c, const float(&acc)[128], int row_offset, int thread) {
      fp8_down_epilogue(c, acc, row_offset, a.y, g, thread);
    });
    grid.sync();
    stamp_stage(a, FusedStage::kCombine);
    if (role > 0) combine_phase<E::kConsumers>(CombineSource{a.y, g.hidden_stride()}, a.geometry, a.routing, a.out);
  });
  stamp_last_cta_out(&a.barrier[2], &a.stage_times->end_ns);
}

}  // namespace

cudaError_t fused_moe_fp8_max_ctas(int device, int* num_ctas) {
  return max_cooperative_ctas<Fp8Engine>(fused_moe_fp8_kernel<false>, device, num_ctas);
}

cudaError_t launch_fused_moe_fp8(const FusedMoeFp8Args& args, int num_ctas, cudaStream_t stream) {
  if (args.geometry.block_m != Fp8Engine::kBlockM) return cudaErrorInvalidValue;
  return args.x_sorted.codes != nullptr
             ? launch_cooperative<Fp8Engine>(fused_moe_fp8_kernel<true>, args, num_ctas, stream)
             : launch_cooperative<Fp8Engine>(fused_moe_fp8_kernel<false>, args, num_ctas, stream);
}

}  // namespace moe_kernels
