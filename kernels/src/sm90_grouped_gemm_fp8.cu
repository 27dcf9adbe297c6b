// epmoe's grouped GEMMs in block-scaled FP8 (docs/fp8.md) on sm_90a: sm90_grouped_gemm.cu's
// persistent kernels with the FP8 tile engine (fp8_pipeline.cuh). A rows (codes and their
// transposed scales) by TMA from the permuted, quantized buffer; B by TMA from the K-major e4m3
// expert weights, their block scales by cp.async. The gate/up GEMM quantizes the activation per
// row in its epilogue (fp8_epilogues.cuh); the down GEMM writes y in bf16.
#include "moe_kernels/detail/fp8_phases.cuh"
#include "moe_kernels/detail/stream_launch.cuh"
#include "moe_kernels/launch.hpp"

namespace moe_kernels {

namespace {

// A tile whose A rows (codes and scales) come by TMA from `maps`, B from expert `expert`'s weight
// rows from `b_row`.
__device__ __forceinline__ Fp8TileLoad tma_fp8_tile_load(const GroupedGemmFp8Maps& maps, const CUtensorMap* b_map2,
                                                         int row, int b_row, int expert) {
  Fp8TileLoad load{};
  load.a_mode = kLoadATma;
  load.a_map = &maps.a;
  load.a_scale_map = &maps.a_scales;
  load.a_row = row;
  load.b_map = &maps.b;
  load.b_map2 = b_map2;
  load.b_row = b_row;
  load.b_expert = expert;
  return load;
}

// E: Fp8Engine, or Fp8ClusterEngine (launched in clusters of two: launch_clustered).
template <typename E>
__global__ void __launch_bounds__(E::kThreads, 1)
    grouped_gate_up_fp8_kernel(const __grid_constant__ GroupedGemmFp8Maps maps, Fp8WeightScales scales, MoeGeometry g,
                               RoutingBuffers r, Activation act, Fp8Rows h) {
  extern __shared__ std::uint8_t smem[];
  typename E::Storage& s = E::storage(smem);
  E::init(s);
  ptx::wait_prior_grids();
  ptx::launch_dependent_grids();
  PipelineState state;
  const PhaseTiles phase{r.gate_up_tile_prefix, r.expert_offsets,  g.local_experts, fp8_groups(g.hidden), E::kBlockM,
                         SpillRule{},           g.gate_up_tiles(), r.tile_counters};
  auto make_load = [&](const TileCoord& c, int) {
    Fp8TileLoad load = tma_fp8_tile_load(maps, &maps.b_up, c.row_begin, c.n_block * kGateUpBlock, c.expert);
    gate_up_block_scales(scales, g, c.expert, c.n_block, load);
    return load;
  };
  auto epilogue = [&](const TileCoord& c, float(&acc)[128], int row_offset, int thread) {
    fp8_gate_up_epilogue(c, acc, row_offset, act, h, g, thread);
  };
  run_roles<E, false>([&](int role) { run_gemm_phase<E>(s, state, phase, role, make_load, epilogue); });
  leave_cluster<E>();
}

// b_halves: the down weights in boxes of 128 rows (the clustered engine's halves of a weight
// tile; unused by Fp8Engine, and last so that the other parameters keep their offsets).
template <typename E>
__global__ void __launch_bounds__(E::kThreads, 1)
    grouped_down_fp8_kernel(const __grid_constant__ GroupedGemmFp8Maps maps, Fp8WeightScales scales, MoeGeometry g,
                            RoutingBuffers r, __nv_bfloat16* y, const __grid_constant__ CUtensorMap b_halves) {
  extern __shared__ std::uint8_t smem[];
  typename E::Storage& s = E::storage(smem);
  E::init(s);
  ptx::wait_prior_grids();
  ptx::launch_dependent_grids();
  PipelineState state;
  const PhaseTiles phase{r.down_tile_prefix, r.expert_offsets, g.local_experts, fp8_groups(g.intermediate),
                         E::kBlockM,         SpillRule{},      g.down_tiles(),  r.tile_counters + 1};
  auto make_load = [&](const TileCoord& c, int) {
    Fp8TileLoad load = tma_fp8_tile_load(maps, nullptr, c.row_begin, c.n_block * kBlockNB, c.expert);
    down_block_scales(scales, g, c.expert, c.n_block, load);
    if constexpr (E::kClusterCtas == 2) load.b_half_map = &b_halves;
    return load;
  };
  auto epilogue = [&](const TileCoord& c, const float(&acc)[128], int row_offset, int thread) {
    fp8_down_epilogue(c, acc, row_offset, y, g, thread);
  };
  run_roles<E, false>([&](int role) { run_gemm_phase<E>(s, state, phase, role, make_load, epilogue); });
  leave_cluster<E>();
}

template <typename Kernel, typename... Args>
cudaError_t launch_fp8_persistent(Kernel kernel, const MoeGeometry& g, int num_ctas, cudaStream_t stream,
                                  StreamOrder order, Args... args) {
  if (g.block_m != Fp8Engine::kBlockM) return cudaErrorInvalidValue;
  const cudaError_t status =
      cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, Fp8Engine::kSmemBytes);
  if (status != cudaSuccess) return status;
  return launch_in_order(order, kernel, dim3(num_ctas), dim3(Fp8Engine::kThreads), Fp8Engine::kSmemBytes, stream,
                         args...);
}

}  // namespace

cudaError_t launch_grouped_gate_up_fp8(const GroupedGemmFp8Maps& maps, const Fp8WeightScales& scales,
                                       const MoeGeometry& g, const RoutingBuffers& r, Activation act, const Fp8Rows& h,
                                       int num_ctas, cudaStream_t stream, StreamOrder order) {
  return launch_fp8_persistent(grouped_gate_up_fp8_kernel<Fp8Engine>, g, num_ctas, stream, order, maps, scales, g, r,
                               act, h);
}

cudaError_t launch_grouped_down_fp8(const GroupedGemmFp8Maps& maps, const Fp8WeightScales& scales, const MoeGeometry& g,
                                    const RoutingBuffers& r, __nv_bfloat16* y, int num_ctas, cudaStream_t stream,
                                    StreamOrder order) {
  return launch_fp8_persistent(grouped_down_fp8_kernel<Fp8Engine>, g, num_ctas, stream, order, maps, scales, g, r, y,
                               maps.b);
}

cudaError_t launch_grouped_gate_up_fp8_clustered(const GroupedGemmFp8Maps& maps, const Fp8WeightScales& scales,
                                                 const MoeGeometry& g, const RoutingBuffers& r, Activation act,
                                                 const Fp8Rows& h, cudaStream_t stream, StreamOrder order) {
  if (g.block_m != Fp8ClusterEngine::kBlockM) return cudaErrorInvalidValue;
  return launch_clustered<Fp8ClusterEngine>(grouped_gate_up_fp8_kernel<Fp8ClusterEngine>, stream, order, maps, scales,
                                            g, r, act, h);
}

cudaError_t launch_grouped_down_fp8_clustered(const GroupedGemmFp8Maps& maps, const CUtensorMap& b_halves,
                                              const Fp8WeightScales& scales, const MoeGeometry& g,
                                              const RoutingBuffers& r, __nv_bfloat16* y, cudaStream_t stream,
                                              StreamOrder order) {
  if (g.block_m != Fp8ClusterEngine::kBlockM) return cudaErrorInvalidValue;
  return launch_clustered<Fp8ClusterEngine>(grouped_down_fp8_kernel<Fp8ClusterEngine>, stream, order, maps, scales, g,
                                            r, y, b_halves);
}

}  // namespace moe_kernels
