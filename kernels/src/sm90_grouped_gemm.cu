// epmoe's grouped GEMMs on sm_90a: persistent kernels over the (expert, row block, column block)
// tiles that the scan kernel laid out, A rows by TMA from the permuted buffer, B by TMA from the
// K-major expert weights. The gate/up GEMM applies the activation in its epilogue. Each waits for
// the previous kernel of its stream after setting up its shared memory (StreamOrder).
#include "moe_kernels/detail/epilogues.cuh"
#include "moe_kernels/detail/gemm_phase.cuh"
#include "moe_kernels/detail/stream_launch.cuh"
#include "moe_kernels/launch.hpp"

namespace moe_kernels {

namespace {

// E: Engine<1> or Engine<2> (64- or 128-row tiles), or Engine<2, 0, 2> (128-row tiles on pairs
// of CTAs, launched by launch_clustered).
template <typename E>
__global__ void __launch_bounds__(E::kThreads, 1)
    grouped_gate_up_kernel(const __grid_constant__ GroupedGemmMaps maps, MoeGeometry g, RoutingBuffers r,
                           Activation act, __nv_bfloat16* h) {
  extern __shared__ std::uint8_t smem[];
  typename E::Storage& s = E::storage(smem);
  E::init(s);
  ptx::wait_prior_grids();
  ptx::launch_dependent_grids();
  PipelineState state;
  const PhaseTiles phase{r.gate_up_tile_prefix,       r.expert_offsets, g.local_experts,
                         ceil_div(g.hidden, kBlockK), E::kBlockM,       SpillRule{},
                         g.gate_up_tiles(),           r.tile_counters};
  auto make_load = [&](const TileCoord& c, int) {
    const TileLoad load = tma_tile_load(&maps.a, c.row_begin, &maps.b, &maps.b_up, c.n_block * kGateUpBlock, c.expert);
    if constexpr (E::kClusterCtas == 2) {
      return ClusteredTileLoad{load, kBOwn, nullptr};
    } else {
      return load;
    }
  };
  auto epilogue = [&](const TileCoord& c, const float(&acc)[128], int row_offset, int thread) {
    store_gate_up_activation(acc, act, h, g.intermediate_stride(), c.row_begin + row_offset, c.rows - row_offset,
                             c.n_block * kGateUpBlock, g.intermediate_stride(), thread);
  };
  run_roles<E>([&](int role) { run_gemm_phase<E>(s, state, phase, role, make_load, epilogue); });
  leave_cluster<E>();
}

// b_halves: the down weights in boxes of 128 rows (the clustered engine's halves of a weight
// tile; unused elsewhere, and last so that the other parameters keep their offsets).
template <typename E>
__global__ void __launch_bounds__(E::kThreads, 1)
    grouped_down_kernel(const __grid_constant__ GroupedGemmMaps maps, MoeGeometry g, RoutingBuffers r, __nv_bfloat16* y,
                        const __grid_constant__ CUtensorMap b_halves) {
  extern __shared__ std::uint8_t smem[];
  typename E::Storage& s = E::storage(smem);
  E::init(s);
  ptx::wait_prior_grids();
  ptx::launch_dependent_grids();
  PipelineState state;
  const PhaseTiles phase{r.down_tile_prefix, r.expert_offsets, g.local_experts, ceil_div(g.intermediate, kBlockK),
                         E::kBlockM,         SpillRule{},      g.down_tiles(),  r.tile_counters + 1};
  auto make_load = [&](const TileCoord& c, int) {
    const TileLoad load = tma_tile_load(&maps.a, c.row_begin, &maps.b, nullptr, c.n_block * kBlockNB, c.expert);
    if constexpr (E::kClusterCtas == 2) {
      return ClusteredTileLoad{load, kBOwn, &b_halves};
    } else {
      return load;
    }
  };
  auto epilogue = [&](const TileCoord& c, const float(&acc)[128], int row_offset, int thread) {
    if constexpr (E::kConsumers == 2) {
      store_rows_bf16_wide(acc, y, g.hidden_stride(), c.row_begin + row_offset, c.rows - row_offset,
                           c.n_block * kBlockNB, g.hidden_stride(), thread);
    } else {
      store_rows_bf16(acc, y, g.hidden_stride(), c.row_begin + row_offset, c.rows - row_offset, c.n_block * kBlockNB,
                      g.hidden_stride(), thread);
    }
  };
  run_roles<E>([&](int role) { run_gemm_phase<E>(s, state, phase, role, make_load, epilogue); });
  leave_cluster<E>();
}

template <int kConsumers, typename Kernel, typename... Args>
cudaError_t launch_persistent(Kernel kernel, int num_ctas, cudaStream_t stream, StreamOrder order, Args... args) {
  using E = Engine<kConsumers>;
  const cudaError_t status = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, E::kSmemBytes);
  if (status != cudaSuccess) return status;
  return launch_in_order(order, kernel, dim3(num_ctas), dim3(E::kThreads), E::kSmemBytes, stream, args...);
}

}  // namespace

cudaError_t launch_grouped_gate_up(const GroupedGemmMaps& maps, const MoeGeometry& g, const RoutingBuffers& r,
                                   Activation act, __nv_bfloat16* h, int num_ctas, cudaStream_t stream,
                                   StreamOrder order) {
  if (g.block_m == 2 * kWarpgroupRows)
    return launch_persistent<2>(grouped_gate_up_kernel<Engine<2>>, num_ctas, stream, order, maps, g, r, act, h);
  return launch_persistent<1>(grouped_gate_up_kernel<Engine<1>>, num_ctas, stream, order, maps, g, r, act, h);
}

cudaError_t launch_grouped_down(const GroupedGemmMaps& maps, const MoeGeometry& g, const RoutingBuffers& r,
                                __nv_bfloat16* y, int num_ctas, cudaStream_t stream, StreamOrder order) {
  if (g.block_m == 2 * kWarpgroupRows)
    return launch_persistent<2>(grouped_down_kernel<Engine<2>>, num_ctas, stream, order, maps, g, r, y, maps.b);
  return launch_persistent<1>(grouped_down_kernel<Engine<1>>, num_ctas, stream, order, maps, g, r, y, maps.b);
}

using ClusterEngine = Engine<2, 0, 2>;

cudaError_t launch_grouped_gate_up_clustered(const GroupedGemmMaps& maps, const MoeGeometry& g, const RoutingBuffers& r,
                                             Activation act, __nv_bfloat16* h, cudaStream_t stream, StreamOrder order) {
  if (g.block_m != ClusterEngine::kBlockM) return cudaErrorInvalidValue;
  return launch_clustered<ClusterEngine>(grouped_gate_up_kernel<ClusterEngine>, stream, order, maps, g, r, act, h);
}

cudaError_t launch_grouped_down_clustered(const GroupedGemmMaps& maps, const CUtensorMap& b_halves,
                                          const MoeGeometry& g, const RoutingBuffers& r, __nv_bfloat16* y,
                                          cudaStream_t stream, StreamOrder order) {
  if (g.block_m != ClusterEngine::kBlockM) return cudaErrorInvalidValue;
  return launch_clustered<ClusterEngine>(grouped_down_kernel<ClusterEngine>, stream, order, maps, g, r, y, b_halves);
}

}  // namespace moe_kernels
