// epmoe over several GPUs, the exchanges around the expert FFN:
//   route + count over all experts, scan, scatter, the own rows sorted by expert (the rows for each
//   EP group contiguous); all-gather of the per-expert offsets; offsets to the host (the one host
//   synchronisation of an iteration); dispatch (each group's rows to every TP rank of it); the
//   path's expert FFN on this GPU's experts and intermediate slice, y back in arrival order;
//   combine all-to-all (each row back to its source); the weighted sum over slots and TP partials.
#include "cuda/multi_gpu/epmoe_base.hpp"

#include <algorithm>
#include <nccl.h>

#include "cuda/device/cuda_check.hpp"
#include "moe_kernels/launch.hpp"
#include "profile/phase.hpp"

namespace moebench::cuda {

using moe_kernels::MoeGeometry;

MultiGpuEpMoeBase::MultiGpuEpMoeBase(DeviceGroup& group, const Problem& problem)
    : MultiGpuMoeBase(group, problem),
      exchanges_(static_cast<std::size_t>(group.local_count())),
      host_offsets_(
          static_cast<std::size_t>(group.world_size()) * static_cast<std::size_t>(problem.shape.num_experts + 1),
          cudaHostAllocDefault) {
  group_.for_each([&](int local) {
    exchange(local).all_offsets.resize(static_cast<std::size_t>(group_.world_size() * (problem.shape.num_experts + 1)));
  });
}

void MultiGpuEpMoeBase::run_iteration() {
  {
    const ScopedPhase phase("route");
    group_.for_each([&](int local) {
      route_own_tokens(local);
      write_sorted_rows(local);
    });
  }
  {
    const ScopedPhase phase("counts_to_host");
    share_offsets();
  }
  {
    const ScopedPhase phase("dispatch");
    all_to_all(/*combine=*/false);
  }
  group_.for_each([&](int local) { expert_ffn(local); });
  {
    const ScopedPhase phase("combine_all_to_all");
    all_to_all(/*combine=*/true);
  }
  const ScopedPhase phase("combine");
  group_.for_each([&](int local) { weighted_sum(local); });
}

MoeGeometry MultiGpuEpMoeBase::own_geometry(int local) const {
  MoeGeometry g = shard_geometry(local);
  g.expert_begin = 0;
  g.local_experts = g.num_experts;
  return g;
}

MoeGeometry MultiGpuEpMoeBase::received_geometry(int local) const {
  MoeGeometry g = shard_geometry(local);
  g.num_tokens = static_cast<int>(exchanges_[static_cast<std::size_t>(local)].plan.received);
  g.top_k = 1;
  return g;
}

std::int64_t MultiGpuEpMoeBase::max_received() const {
  const std::int64_t k = problem_.shape.top_k;
  return num_tokens_ * std::min<std::int64_t>(k, mesh_.experts_per_device());
}

void MultiGpuEpMoeBase::size_workspace() {
  const std::int64_t k = problem_.shape.top_k, E = problem_.shape.num_experts, H = problem_.shape.hidden_size;
  const std::int64_t row_bytes = dispatch_row_bytes();
  group_.for_each([&](int local) {
    Exchange& x = exchange(local);
    const MoeGeometry g = shard_geometry(local);
    const auto pairs = static_cast<std::size_t>(std::max<std::int64_t>(max_device_tokens_ * k, 1));
    const auto received = static_cast<std::size_t>(std::max<std::int64_t>(max_received(), 1));
    x.own.resize(static_cast<std::size_t>(E), pairs, pairs);
    x.received.resize(static_cast<std::size_t>(g.local_experts), received, received);
    x.sorted_rows.resize(pairs * static_cast<std::size_t>(row_bytes));
    // The received rows, then y over them in arrival order (rows of H in bf16).
    x.received_rows.resize(received * static_cast<std::size_t>(std::max<std::int64_t>(row_bytes, 2 * H)));
    x.y_back.resize(static_cast<std::size_t>(mesh_.tp_actual()) * pairs * static_cast<std::size_t>(H));
    size_ffn_workspace(local);
  });
}

void MultiGpuEpMoeBase::route_own_tokens(int local) {
  Exchange& x = exchange(local);
  const MoeGeometry g = own_geometry(local);
  const auto r = x.own.view();
  cudaStream_t s = group_.context(local).stream;
  MOE_CUDA_CHECK(moe_kernels::launch_route_and_count(shard(local).logits.data(), g, router_, r, s));
  MOE_CUDA_CHECK(moe_kernels::launch_scan_experts(g, r, s));
  MOE_CUDA_CHECK(moe_kernels::launch_scatter_pairs(g, r, s));
}

// Every GPU's expert offsets to every GPU, and once to the host for the all-to-all sizes.
void MultiGpuEpMoeBase::share_offsets() {
  const auto count = static_cast<std::size_t>(problem_.shape.num_experts + 1);
  MOE_NCCL_CHECK(ncclGroupStart());
  for (int local = 0; local < group_.local_count(); ++local) {
    MOE_NCCL_CHECK(ncclAllGather(exchange(local).own.view().expert_offsets, exchange(local).all_offsets.data(), count,
                                 ncclInt32, group_.comm(local), group_.context(local).stream));
  }
  MOE_NCCL_CHECK(ncclGroupEnd());
  MOE_CUDA_CHECK(cudaSetDevice(0));
  MOE_CUDA_CHECK(cudaMemcpyAsync(host_offsets_.data(), exchange(0).all_offsets.data(),
                                 count * static_cast<std::size_t>(group_.world_size()) * sizeof(int),
                                 cudaMemcpyDeviceToHost, group_.context(0).stream));
  MOE_CUDA_CHECK(cudaStreamSynchronize(group_.context(0).stream));
  const std::span<const std::int32_t> offsets(host_offsets_.data(),
                                              count * static_cast<std::size_t>(group_.world_size()));
  for (int local = 0; local < group_.local_count(); ++local)
    exchange(local).plan = exchange_plan(mesh_, offsets, problem_.shape.num_experts, group_.rank(local));
}

// Dispatch: sorted own rows out, received rows in, dispatch_row_bytes() each. Combine: the
// reverse, y rows of H in bf16, landing in y_back at the TP rank of the sender and the rows'
// sorted positions.
void MultiGpuEpMoeBase::all_to_all(bool combine) {
  const std::int64_t H = problem_.shape.hidden_size;
  const std::int64_t pairs = max_device_tokens_ * problem_.shape.top_k;
  const std::int64_t row_bytes = combine ? H * 2 : dispatch_row_bytes();
  MOE_NCCL_CHECK(ncclGroupStart());
  for (int local = 0; local < group_.local_count(); ++local) {
    Exchange& x = exchange(local);
    for (int peer = 0; peer < group_.world_size(); ++peer) {
      const auto p = static_cast<std::size_t>(peer);
      const std::int64_t out_rows = combine ? x.plan.recv_rows[p] : x.plan.send_rows[p];
      const std::int64_t in_rows = combine ? x.plan.send_rows[p] : x.plan.recv_rows[p];
      const void* out = combine ? static_cast<const void*>(x.y_arrival() + x.plan.recv_first[p] * H)
                                : x.sorted_rows.data() + x.plan.send_first[p] * row_bytes;
      void* in =
          combine ? static_cast<void*>(x.y_back.data() + (mesh_.coord(peer).tp_rank * pairs + x.plan.send_first[p]) * H)
                  : x.received_rows.data() + x.plan.recv_first[p] * row_bytes;
      ncclComm_t comm = group_.comm(local);
      cudaStream_t s = group_.context(local).stream;
      if (out_rows > 0)
        MOE_NCCL_CHECK(ncclSend(out, static_cast<std::size_t>(out_rows * row_bytes), ncclUint8, peer, comm, s));
      if (in_rows > 0)
        MOE_NCCL_CHECK(ncclRecv(in, static_cast<std::size_t>(in_rows * row_bytes), ncclUint8, peer, comm, s));
    }
  }
  MOE_NCCL_CHECK(ncclGroupEnd());
}

void MultiGpuEpMoeBase::sort_received_rows(int local) {
  Exchange& x = exchange(local);
  const MoeGeometry g = received_geometry(local);
  const auto r = x.received.view();
  cudaStream_t s = group_.context(local).stream;
  MOE_CUDA_CHECK(moe_kernels::launch_label_received_rows(x.all_offsets.data(), group_.world_size(), g, r, s));
  MOE_CUDA_CHECK(moe_kernels::launch_scan_experts(g, r, s));
  MOE_CUDA_CHECK(moe_kernels::launch_scatter_pairs(g, r, s));
}

void MultiGpuEpMoeBase::weighted_sum(int local) {
  Exchange& x = exchange(local);
  const MoeGeometry g = own_geometry(local);
  const std::int64_t pairs = max_device_tokens_ * problem_.shape.top_k;
  const moe_kernels::CombineSource partials{x.y_back.data(), g.hidden, mesh_.tp_actual(), pairs * g.hidden, false};
  MOE_CUDA_CHECK(
      moe_kernels::launch_unpermute(partials, g, x.own.view(), shard(local).out.data(), group_.context(local).stream));
}

}  // namespace moebench::cuda
