// The fused MoE layer under expert and tensor parallelism: one persistent, cooperative sm_90a
// kernel per device and iteration, the communication inside it through NCCL's device API (the
// symmetric window's load/store mapping of every peer over NVLink, and its LSA barrier).
//   1. route this device's tokens (a warp each); each (token, slot) row is stored straight into
//      the windows of the devices owning its expert (every TP rank of that EP group), with its
//      local expert and pair index;
//   2. the per-group row counts go to the same peers; cross-GPU barrier;
//   3. count, scan and scatter the received rows by local expert (indices only);
//   4. gate/up GEMM, A rows gathered from the received rows, activation in the epilogue;
//   5. down GEMM, each y row stored into its source's window (slot: TP rank, pair index);
//      cross-GPU barrier;
//   6. each own token's k rows, summed over the TP partials, weighted into the bf16 output.
// A source writes a device's window only between the two barriers of the same iteration, or
// before the first, when that device is past the second barrier of the previous iteration and
// reads only y_back: so one window serves every iteration without double buffering.
#include "moe_kernels/detail/cooperative_launch.cuh"
#include "moe_kernels/detail/ep_exchange.cuh"
#include "moe_kernels/detail/fused_phases.cuh"
#include "moe_kernels/launch.hpp"

namespace moe_kernels {

namespace {

// Local memory as ptxas reports it (-warn-lmem-usage, -warn-spills). None of it is inside a K
// loop (the consumers' wgmma mainloop, the producer's loads); the spills are at most a few
// dozen L1 hits per thread a tile, so they stay:
//   <1>: 197 registers, a 16-byte frame, no spills. The frame is route_and_dispatch's best[]
//     (routing.cuh), which only grouped routers touch (its cost: moe_routing.cu), and a dead
//     store the combine leaves in it (combine.cuh).
//   <2>: a 96-byte frame, 124 bytes of spill stores and 220 of loads. setmaxnreg leaves the
//     producer 40 registers, and it also carries the tile trace: make_load's eight gather rows
//     (thread / 8 + 16 i, hoisted out of the tile loop), the trace pointer and thread 0's decode
//     inputs go to the stack once a phase. A gate/up tile reloads 11 of them on every producer
//     thread and 5 more on thread 0, a down tile 1 and 4, before the tile's first load or after
//     its last. GridBarrier::passed goes through the stack at each grid barrier; apart from it the
//     consumers (232) spill nothing.
template <int kConsumers>
__global__ void __launch_bounds__(Engine<kConsumers>::kThreads, 1)
    fused_moe_ep_kernel(const __grid_constant__ FusedMoeEpArgs a) {
  using E = Engine<kConsumers>;
  extern __shared__ std::uint8_t smem_raw[];
  typename E::Storage& s = E::storage(smem_raw);
  const MoeGeometry& g = a.geometry;
  run_expert_parallel_layer<E>(
      a, s, g.hidden_stride() / 8,
      [&](int t, int) {
        return reinterpret_cast<const uint4*>(a.tokens + static_cast<std::int64_t>(t) * g.hidden_stride());
      },
      [&](PipelineState& state, int role) { gate_up_phase<E>(a, s, state, role); },
      [&](PipelineState& state, int role) { down_phase<E>(a, s, state, role, store_to_sources(a)); });
}

__global__ void resolve_peer_windows_kernel(ncclWindow_t window, int num_devices, std::uint8_t** peer_window) {
  for (int d = threadIdx.x; d < num_devices; d += blockDim.x)
    peer_window[d] = static_cast<std::uint8_t*>(ncclGetPeerPointer(window, 0, d));
}

}  // namespace

cudaError_t launch_resolve_peer_windows(void* window, int num_devices, std::uint8_t** peer_window,
                                        cudaStream_t stream) {
  resolve_peer_windows_kernel<<<1, 256, 0, stream>>>(static_cast<ncclWindow_t>(window), num_devices, peer_window);
  return cudaGetLastError();
}

cudaError_t fused_moe_ep_max_ctas(int device, int block_m, int* num_ctas) {
  return max_cooperative_ctas_for(block_m, fused_moe_ep_kernel<1>, fused_moe_ep_kernel<2>, device, num_ctas);
}

cudaError_t launch_fused_moe_ep(const FusedMoeEpArgs& args, int num_ctas, cudaStream_t stream) {
  return launch_cooperative_for(args.geometry.block_m, fused_moe_ep_kernel<1>, fused_moe_ep_kernel<2>, args, num_ctas,
                                stream);
}

}  // namespace moe_kernels
