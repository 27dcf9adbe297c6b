// The expert-parallel fused kernels' exchange (sm90_fused_moe_ep.cu in bf16, sm90_fused_moe_ep_fp8.cu
// in FP8), as device functions on either kernel's argument struct: the routed rows stored into the
// windows of the devices owning their experts, the counts and the cross-GPU barrier, the received
// rows counted and scattered by local expert, y stored back into its source's window, CTA 0's
// progress for the host, and the whole launch around a dtype's two GEMM phases
// (run_expert_parallel_layer). `Args` names window, peer_window, dev_comm, send_count, routing,
// geometry, router, logits, tokens, out, progress, cta_trace and barrier alike in both.
#pragma once

#include <cuda/atomic>
#include <nccl_device.h>

#include "moe_kernels/detail/epilogues.cuh"
#include "moe_kernels/detail/fused_phases.cuh"
#include "moe_kernels/detail/gemm_phase.cuh"
#include "moe_kernels/detail/grid_barrier.cuh"
#include "moe_kernels/detail/kernel_stamps.cuh"
#include "moe_kernels/detail/moe_schedule.cuh"
#include "moe_kernels/detail/routing.cuh"
#include "moe_kernels/ep_progress.hpp"
#include "moe_kernels/expert_parallel_window.hpp"
#include "moe_kernels/moe_types.hpp"

namespace moe_kernels {

struct ReceivedRow {
  int local_expert;
  int pair;  // t * k + j on the source
};

template <typename Args>
__device__ __forceinline__ std::uint8_t* peer(const Args& a, int device) {
  return a.peer_window[device];
}

// CTA 0 tells the host where it is (ep_progress.hpp).
template <typename Args>
__device__ __forceinline__ void report_stage(const Args& a, EpStage stage) {
  if (threadIdx.x != 0) return;
  if (blockIdx.x == 0) {
    stamp_now(&a.progress->stage_start_ns[static_cast<int>(stage)]);
    ptx::store_volatile(&a.progress->stage, static_cast<unsigned>(stage));
  }
  if (a.cta_trace != nullptr) ptx::store_volatile(&a.cta_trace[blockIdx.x].stage, static_cast<unsigned>(stage));
}

template <typename Args>
__device__ __forceinline__ void report_launch(const Args& a) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  ptx::store_volatile(&a.progress->launches, ++a.barrier[2]);
  report_stage(a, EpStage::kDispatch);
}

// A broken invariant would send rows or y values to the wrong place on another GPU: stop the
// kernel (the host reports a CUDA error on this GPU) and say which invariant.
template <typename Args>
__device__ __noinline__ void stop_on(const Args& a, EpFault fault) {
  ptx::store_volatile(&a.progress->fault, static_cast<unsigned>(fault));
  __threadfence_system();
  __trap();
}

// Every device of the LSA team arrives and waits (one thread; NCCL's barrier over the window's
// inboxes, release/acquire at system scope). All CTAs' stores to peers were fenced at system
// scope before the grid barrier that precedes this.
template <typename Args>
__device__ __forceinline__ void cross_gpu_barrier(const Args& a) {
  ncclLsaBarrierSession<ncclCoopThread> barrier(ncclCoopThread(), *a.dev_comm, ncclTeamTagLsa(), 0);
  barrier.sync(ncclCoopThread(), cuda::memory_order_acq_rel);
}

// Phase 1, one warp per own token: routed, then the row `row_of(t, lane)` returns (called by the
// whole warp; `vectors` 16-byte words) stored into the window of every device owning one of its
// experts, at the received slot's row of `vectors` words.
template <typename Args, typename RowOf>
__device__ void route_and_dispatch(const Args& a, std::uint8_t* smem, int vectors, RowOf row_of) {
  const MoeGeometry& g = a.geometry;
  const ExpertParallelWindow& w = a.window;
  route_tokens_by_warp(a, smem, [&](int t, const std::int32_t* ids, const float*, int lane) {
    __syncwarp();
    const uint4* row = row_of(t, lane);
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
  });
}

// Phase 2 on CTA 0: the counts, then the barrier. Resets the send counters for the next iteration.
template <typename Args>
__device__ void publish_counts(const Args& a) {
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

template <typename Args>
__device__ __forceinline__ const ReceivedRow* received_rows(const Args& a) {
  return reinterpret_cast<const ReceivedRow*>(peer(a, a.window.device) + a.window.recv_meta);
}
template <typename Args>
__device__ __forceinline__ const int* received_counts(const Args& a) {
  return reinterpret_cast<const int*>(peer(a, a.window.device) + a.window.recv_count);
}

// fn(i, local_expert) for each row received this iteration, over the whole grid. Received row
// i = source * source_capacity + slot; a source's slots past its count are stale.
template <typename Args, typename Fn>
__device__ __forceinline__ void for_each_received_row(const Args& a, Fn fn) {
  const ExpertParallelWindow& w = a.window;
  const ReceivedRow* rows = received_rows(a);
  const int* counts = received_counts(a);
  const int total = w.num_devices * w.source_capacity;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += gridDim.x * blockDim.x) {
    if (i % w.source_capacity < __ldcg(&counts[i / w.source_capacity])) fn(i, __ldcg(&rows[i].local_expert));
  }
}

// Phase 3a: rows per local expert.
template <typename Args>
__device__ void count_received(const Args& a) {
  for_each_received_row(a, [&](int, int expert) {
    if (expert < 0 || expert >= a.geometry.local_experts) stop_on(a, EpFault::kReceivedExpert);
    atomicAdd(&a.routing.expert_counts[expert], 1);
  });
}

// Phase 3c: sorted_token of each sorted row is its received row.
template <typename Args>
__device__ void scatter_received(const Args& a) {
  const RoutingBuffers& r = a.routing;
  for_each_received_row(a, [&](int i, int expert) {
    r.sorted_token[__ldcg(&r.expert_offsets[expert]) + atomicAdd(&r.expert_cursor[expert], 1)] = i;
  });
}

// Phase 5's epilogue, for a down phase's store: y of sorted row `row` goes to y_back[tp_rank][pair]
// in its source's window.
template <typename Args>
__device__ __forceinline__ auto store_to_sources(const Args& a) {
  return [&a](const TileCoord& c, const float(&acc)[128], int row_offset, int thread) {
    const ExpertParallelWindow& w = a.window;
    const MoeGeometry& g = a.geometry;
    const ReceivedRow* rows = received_rows(a);
    const int tp_rank = w.device % w.tp_actual;
    auto row_pointer = [&](int r) {
      const int received = __ldcg(&a.routing.sorted_token[c.row_begin + row_offset + r]);
      const int pair = __ldcg(&rows[received].pair);
      if (pair < 0 || pair >= w.pair_capacity) stop_on(a, EpFault::kReceivedPair);
      std::uint8_t* base = peer(a, received / w.source_capacity);
      return reinterpret_cast<__nv_bfloat16*>(base + w.y_back) +
             (static_cast<std::int64_t>(tp_rank) * w.pair_capacity + pair) * g.hidden_stride();
    };
    store_rows_bf16_routed(acc, row_pointer, c.rows - row_offset, c.n_block * kBlockNB, g.hidden_stride(), thread);
  };
}

// One launch of an expert-parallel fused kernel, either dtype (the phases in
// sm90_fused_moe_ep.cu's header): the dispatch of the rows row_of gives (`vectors` 16-byte words
// each), the counts and the first cross-GPU barrier, the received rows counted, scanned and
// scattered, then in the warp-specialised roles gate_up(state, role) and down(state, role) (which
// stores y into the sources' windows), the second barrier and the combine.
template <typename E, typename Args, typename RowOf, typename GateUp, typename Down>
__device__ __forceinline__ void run_expert_parallel_layer(const Args& a, typename E::Storage& s, int vectors,
                                                          RowOf row_of, GateUp gate_up, Down down) {
  GridBarrier grid{a.barrier, a.barrier + 1, a.cta_trace != nullptr ? &a.cta_trace[blockIdx.x].grid_arrived : nullptr};
  const MoeGeometry& g = a.geometry;
  const ExpertParallelWindow& w = a.window;

  report_launch(a);
  route_and_dispatch(a, s.a[0], vectors, row_of);
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
    gate_up(state, role);
    grid.sync();
    report_stage(a, EpStage::kDown);
    down(state, role);
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

}  // namespace moe_kernels
