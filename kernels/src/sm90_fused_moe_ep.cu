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
#include <cuda/atomic>
#include <nccl_device.h>

#include "moe_kernels/detail/cooperative_launch.cuh"
#include "moe_kernels/detail/fused_phases.cuh"
#include "moe_kernels/detail/grid_barrier.cuh"
#include "moe_kernels/detail/kernel_stamps.cuh"
#include "moe_kernels/detail/routing.cuh"
#include "moe_kernels/launch.hpp"

namespace moe_kernels {

namespace {

struct ReceivedRow {
  int local_expert;
  int pair;  // t * k + j on the source
};

__device__ __forceinline__ std::uint8_t* peer(const FusedMoeEpArgs& a, int device) { return a.peer_window[device]; }

// CTA 0 tells the host where it is (ep_progress.hpp).
__device__ __forceinline__ void report_stage(const FusedMoeEpArgs& a, EpStage stage) {
  if (threadIdx.x != 0) return;
  if (blockIdx.x == 0) {
    stamp_now(&a.progress->stage_start_ns[static_cast<int>(stage)]);
    ptx::store_volatile(&a.progress->stage, static_cast<unsigned>(stage));
  }
  if (a.cta_trace != nullptr) ptx::store_volatile(&a.cta_trace[blockIdx.x].stage, static_cast<unsigned>(stage));
}

__device__ __forceinline__ void report_launch(const FusedMoeEpArgs& a) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  ptx::store_volatile(&a.progress->launches, ++a.barrier[2]);
  report_stage(a, EpStage::kDispatch);
}

// A broken invariant would send rows or y values to the wrong place on another GPU: stop the
// kernel (the host reports a CUDA error on this GPU) and say which invariant.
__device__ __noinline__ void stop_on(const FusedMoeEpArgs& a, EpFault fault) {
  ptx::store_volatile(&a.progress->fault, static_cast<unsigned>(fault));
  __threadfence_system();
  __trap();
}

// Every device of the LSA team arrives and waits (one thread; NCCL's barrier over the window's
// inboxes, release/acquire at system scope). All CTAs' stores to peers were fenced at system
// scope before the grid barrier that precedes this.
__device__ __forceinline__ void cross_gpu_barrier(const FusedMoeEpArgs& a) {
  ncclLsaBarrierSession<ncclCoopThread> barrier(ncclCoopThread(), *a.dev_comm, ncclTeamTagLsa(), 0);
  barrier.sync(ncclCoopThread(), cuda::memory_order_acq_rel);
}

// Phase 1, one warp per own token.
__device__ void route_and_dispatch(const FusedMoeEpArgs& a, std::uint8_t* smem) {
  const MoeGeometry& g = a.geometry;
  const RoutingBuffers& r = a.routing;
  const ExpertParallelWindow& w = a.window;
  const int warps = blockDim.x / 32, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  float* scores = reinterpret_cast<float*>(smem) + warp * (a.router.num_experts + a.router.num_groups);
  float* group_scores = scores + a.router.num_experts;
  const int vectors = g.hidden_stride() / 8;
  for (int t = blockIdx.x * warps + warp; t < g.num_tokens; t += gridDim.x * warps) {
    std::int32_t* ids = r.topk_ids + static_cast<std::int64_t>(t) * g.top_k;
    float* weights = r.topk_weights + static_cast<std::int64_t>(t) * g.top_k;
    route_token_warp(a.logits + static_cast<std::int64_t>(t) * a.router.num_experts, a.router, scores, group_scores,
                     ids, weights, lane);
    __syncwarp();
    const uint4* row = reinterpret_cast<const uint4*>(a.tokens + static_cast<std::int64_t>(t) * g.hidden_stride());
    for (int j = 0; j < g.top_k; ++j) {
      const int expert = ids[j];
      const int group = expert / w.experts_per_rank;
      int slot = 0;
      if (lane == 0) slot = atomicAdd(&a.send_count[group], 1);
      slot = __shfl_sync(0xffffffffu, slot, 0);
      if (slot >= w.source_capacity) stop_on(a, EpFault::kSendOverflow);
      const std::int64_t received = static_cast<std::int64_t>(w.device) * w.source_capacity + slot;
      for (int q = 0; q < w.tp_actual; ++q) {
        std::uint8_t* base = peer(a, group * w.tp_actual + q);
        if (lane == 0) {
          reinterpret_cast<ReceivedRow*>(base + w.recv_meta)[received] =
              ReceivedRow{expert - group * w.experts_per_rank, t * g.top_k + j};
        }
        uint4* dst = reinterpret_cast<uint4*>(base + w.recv_x) + received * vectors;
        for (int v = lane; v < vectors; v += 32) dst[v] = row[v];
      }
    }
  }
}

// Phase 2 on CTA 0: the counts, then the barrier. Resets the send counters for the next iteration.
__device__ void publish_counts(const FusedMoeEpArgs& a) {
  const ExpertParallelWindow& w = a.window;
  const int groups = w.num_devices / w.tp_actual;
  for (int group = threadIdx.x; group < groups; group += blockDim.x) {
    const int rows = __ldcg(&a.send_count[group]);
    for (int q = 0; q < w.tp_actual; ++q)
      reinterpret_cast<int*>(peer(a, group * w.tp_actual + q) + w.recv_count)[w.device] = rows;
    a.send_count[group] = 0;
  }
  __threadfence_system();
  __syncthreads();
  report_stage(a, EpStage::kCountsBarrier);
  if (threadIdx.x == 0) cross_gpu_barrier(a);
  report_stage(a, EpStage::kSort);
  __syncthreads();
}

__device__ __forceinline__ const ReceivedRow* received_rows(const FusedMoeEpArgs& a) {
  return reinterpret_cast<const ReceivedRow*>(peer(a, a.window.device) + a.window.recv_meta);
}
__device__ __forceinline__ const int* received_counts(const FusedMoeEpArgs& a) {
  return reinterpret_cast<const int*>(peer(a, a.window.device) + a.window.recv_count);
}

// fn(i, local_expert) for each row received this iteration, over the whole grid. Received row
// i = source * source_capacity + slot; a source's slots past its count are stale.
template <typename Fn>
__device__ __forceinline__ void for_each_received_row(const FusedMoeEpArgs& a, Fn fn) {
  const ExpertParallelWindow& w = a.window;
  const ReceivedRow* rows = received_rows(a);
  const int* counts = received_counts(a);
  const int total = w.num_devices * w.source_capacity;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += gridDim.x * blockDim.x) {
    if (i % w.source_capacity < __ldcg(&counts[i / w.source_capacity])) fn(i, __ldcg(&rows[i].local_expert));
  }
}

// Phase 3a: rows per local expert.
__device__ void count_received(const FusedMoeEpArgs& a) {
  for_each_received_row(a, [&](int, int expert) {
    if (expert < 0 || expert >= a.geometry.local_experts) stop_on(a, EpFault::kReceivedExpert);
    atomicAdd(&a.routing.expert_counts[expert], 1);
  });
}

// Phase 3c: sorted_token of each sorted row is its received row.
__device__ void scatter_received(const FusedMoeEpArgs& a) {
  const RoutingBuffers& r = a.routing;
  for_each_received_row(a, [&](int i, int expert) {
    r.sorted_token[__ldcg(&r.expert_offsets[expert]) + atomicAdd(&r.expert_cursor[expert], 1)] = i;
  });
}

// Phase 5's epilogue: y of sorted row `row` goes to y_back[tp_rank][pair] in its source's window.
template <typename E>
__device__ void down_to_sources(const FusedMoeEpArgs& a, typename E::Storage& s, PipelineState& state, int role) {
  const ExpertParallelWindow& w = a.window;
  const MoeGeometry& g = a.geometry;
  const ReceivedRow* rows = received_rows(a);
  const int tp_rank = w.device % w.tp_actual;
  down_phase<E>(a, s, state, role, [&](const TileCoord& c, const float(&acc)[128], int row_offset, int thread) {
    auto row_pointer = [&](int r) {
      const int received = __ldcg(&a.routing.sorted_token[c.row_begin + row_offset + r]);
      const int pair = __ldcg(&rows[received].pair);
      if (pair < 0 || pair >= w.pair_capacity) stop_on(a, EpFault::kReceivedPair);
      std::uint8_t* base = peer(a, received / w.source_capacity);
      return reinterpret_cast<__nv_bfloat16*>(base + w.y_back) +
             (static_cast<std::int64_t>(tp_rank) * w.pair_capacity + pair) * g.hidden_stride();
    };
    store_rows_bf16_routed(acc, row_pointer, c.rows - row_offset, c.n_block * kBlockNB, g.hidden_stride(), thread);
  });
}

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
  GridBarrier grid{a.barrier, a.barrier + 1, a.cta_trace != nullptr ? &a.cta_trace[blockIdx.x].grid_arrived : nullptr};
  const MoeGeometry& g = a.geometry;
  const ExpertParallelWindow& w = a.window;

  report_launch(a);
  route_and_dispatch(a, s.a[0]);
  __threadfence_system();
  grid.sync();
  if (blockIdx.x == 0) publish_counts(a);
  grid.sync();
  count_received(a);
  grid.sync();
  if (blockIdx.x == 0) scan_expert_counts(g, a.routing, reinterpret_cast<int*>(s.a[0]));
  grid.sync();
  scatter_received(a);
  E::init(s);
  grid.sync();

  PipelineState state;
  const std::uint8_t* own = a.peer_window[w.device];
  const CombineSource partials{reinterpret_cast<const __nv_bfloat16*>(own + w.y_back), g.hidden_stride(), w.tp_actual,
                               static_cast<std::int64_t>(w.pair_capacity) * g.hidden_stride(), true};
  run_roles<E>([&](int role) {
    report_stage(a, EpStage::kGateUp);
    gate_up_phase<E>(a, s, state, role);
    grid.sync();
    report_stage(a, EpStage::kDown);
    down_to_sources<E>(a, s, state, role);
    __threadfence_system();
    grid.sync();
    report_stage(a, EpStage::kResultsBarrier);
    if (blockIdx.x == 0 && threadIdx.x == 0) cross_gpu_barrier(a);
    report_stage(a, EpStage::kCombine);
    grid.sync();
    if (role > 0) combine_phase<E::kConsumers>(partials, g, a.routing, a.out);
  });
  stamp_last_cta_out(&a.barrier[3], &a.progress->end_ns);
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
