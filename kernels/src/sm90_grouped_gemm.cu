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

template <int kConsumers>
__global__ void __launch_bounds__(Engine<kConsumers>::kThreads, 1)
    grouped_gate_up_kernel(const __grid_constant__ GroupedGemmMaps maps, MoeGeometry g, RoutingBuffers r,
                           Activation act, __nv_bfloat16* h) {
  using E = Engine<kConsumers>;
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
    return tma_tile_load(&maps.a, c.row_begin, &maps.b, &maps.b_up, c.n_block * kGateUpBlock, c.expert);
  };
  auto epilogue = [&](const TileCoord& c, const float(&acc)[128], int row_offset, int thread) {
    store_gate_up_activation(acc, act, h, g.intermediate_stride(), c.row_begin + row_offset, c.rows - row_offset,
                             c.n_block * kGateUpBlock, g.intermediate_stride(), thread);
  };
  run_roles<E>([&](int role) { run_gemm_phase<E>(s, state, phase, role, make_load, epilogue); });
}

template <int kConsumers>
__global__ void __launch_bounds__(Engine<kConsumers>::kThreads, 1)
    grouped_down_kernel(const __grid_constant__ GroupedGemmMaps maps, MoeGeometry g, RoutingBuffers r,
                        __nv_bfloat16* y) {
  using E = Engine<kConsumers>;
  extern __shared__ std::uint8_t smem[];
  typename E::Storage& s = E::storage(smem);
  E::init(s);
  ptx::wait_prior_grids();
  ptx::launch_dependent_grids();
  PipelineState state;
  const PhaseTiles phase{r.down_tile_prefix, r.expert_offsets, g.local_experts, ceil_div(g.intermediate, kBlockK),
                         E::kBlockM,         SpillRule{},      g.down_tiles(),  r.tile_counters + 1};
  auto make_load = [&](const TileCoord& c, int) {
    return tma_tile_load(&maps.a, c.row_begin, &maps.b, nullptr, c.n_block * kBlockNB, c.expert);
  };
  auto epilogue = [&](const TileCoord& c, const float(&acc)[128], int row_offset, int thread) {
    if constexpr (kConsumers == 2) {
      store_rows_bf16_wide(acc, y, g.hidden_stride(), c.row_begin + row_offset, c.rows - row_offset,
                           c.n_block * kBlockNB, g.hidden_stride(), thread);
    } else {
      store_rows_bf16(acc, y, g.hidden_stride(), c.row_begin + row_offset, c.rows - row_offset, c.n_block * kBlockNB,
                      g.hidden_stride(), thread);
    }
  };
  run_roles<E>([&](int role) { run_gemm_phase<E>(s, state, phase, role, make_load, epilogue); });
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
    return launch_persistent<2>(grouped_gate_up_kernel<2>, num_ctas, stream, order, maps, g, r, act, h);
  return launch_persistent<1>(grouped_gate_up_kernel<1>, num_ctas, stream, order, maps, g, r, act, h);
}

cudaError_t launch_grouped_down(const GroupedGemmMaps& maps, const MoeGeometry& g, const RoutingBuffers& r,
                                __nv_bfloat16* y, int num_ctas, cudaStream_t stream, StreamOrder order) {
  if (g.block_m == 2 * kWarpgroupRows)
    return launch_persistent<2>(grouped_down_kernel<2>, num_ctas, stream, order, maps, g, r, y);
  return launch_persistent<1>(grouped_down_kernel<1>, num_ctas, stream, order, maps, g, r, y);
}

}  // namespace moe_kernels
