// epmoe over several GPUs: the one-GPU pipeline's kernels around two NCCL all-to-alls (grouped
// send/recv), as a production EP MoE on host collectives runs:
//   route + count over all experts, scan, scatter, permute (own rows, sorted by expert: the rows
//   for each EP group are contiguous); all-gather of the per-expert offsets; offsets to the host
//   (the one host synchronisation of an iteration: NCCL needs the send/recv sizes on the host);
//   dispatch (send each group's rows to every TP rank of it); label the received rows by expert,
//   scan, scatter, permute; grouped gate/up and down GEMMs on this GPU's experts and intermediate
//   slice; un-permute into arrival order; combine all-to-all (each row back to its source); the
//   weighted sum over slots and TP partials into the output.
#include <algorithm>
#include <nccl.h>

#include "core/expert_exchange.hpp"
#include "cuda/device/cuda_check.hpp"
#include "cuda/device/cuda_handles.hpp"
#include "cuda/device/device_weights.hpp"
#include "cuda/device/routing_storage.hpp"
#include "cuda/multi_gpu/implementations.hpp"
#include "cuda/multi_gpu/moe_base.hpp"
#include "moe_kernels/launch.hpp"
#include "profile/phase.hpp"

namespace moebench::cuda {
namespace {

using moe_kernels::MoeGeometry;

class MultiGpuEpMoe final : public MultiGpuMoeBase {
 public:
  MultiGpuEpMoe(DeviceGroup& group, const Problem& problem, const EpWeights& w)
      : MultiGpuMoeBase(group, problem),
        devices_(static_cast<std::size_t>(group.local_count())),
        host_offsets_(
            static_cast<std::size_t>(group.world_size()) * static_cast<std::size_t>(problem.shape.num_experts + 1),
            cudaHostAllocDefault) {
    group_.for_each([&](int local) {
      Device& d = device(local);
      upload_grouped_gemm_weights(w, expert_range(local), intermediate_range(local), d.weights, d.gate_up_maps,
                                  d.down_maps);
      d.all_offsets.resize(static_cast<std::size_t>(group_.world_size() * (problem.shape.num_experts + 1)));
    });
  }

  ImplKind kind() const override { return ImplKind::kEpMoe; }
  bool graph_capturable() const override { return false; }

  void run_iteration() override {
    {
      const ScopedPhase phase("route");
      group_.for_each([&](int local) { route_own_tokens(local); });
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

 private:
  struct Device {
    DeviceWeights weights;
    moe_kernels::GroupedGemmMaps gate_up_maps{}, down_maps{};
    RoutingStorage own, received;            // own tokens' pairs over all experts; received rows
    DeviceBuffer<std::int32_t> all_offsets;  // (world, E + 1)
    DeviceBuffer<__nv_bfloat16> sorted_x;    // own rows sorted by expert (pairs, Hs)
    DeviceBuffer<__nv_bfloat16> received_x;  // (max received, Hs); later y in arrival order (rows of H)
    DeviceBuffer<__nv_bfloat16> permuted;    // received rows sorted by local expert; later y sorted
    DeviceBuffer<__nv_bfloat16> h;           // (max received, Is)
    DeviceBuffer<__nv_bfloat16> y_back;      // (tp_actual, pairs, H): each TP rank's partial y
    ExchangePlan plan;
  };
  Device& device(int local) { return devices_[static_cast<std::size_t>(local)]; }

  // Own tokens, as the routing step sees them: every expert is "local" so that the scan gives the
  // offsets of all experts, i.e. of every EP group's contiguous rows.
  MoeGeometry own_geometry(int local) const {
    MoeGeometry g = shard_geometry(local);
    g.expert_begin = 0;
    g.local_experts = g.num_experts;
    return g;
  }
  MoeGeometry received_geometry(int local) {
    MoeGeometry g = shard_geometry(local);
    g.num_tokens = static_cast<int>(device(local).plan.received);
    g.top_k = 1;
    return g;
  }
  std::int64_t max_received() const {
    const std::int64_t k = problem_.shape.top_k;
    return num_tokens_ * std::min<std::int64_t>(k, mesh_.experts_per_device());
  }

  void size_workspace() override {
    const std::int64_t k = problem_.shape.top_k, E = problem_.shape.num_experts;
    group_.for_each([&](int local) {
      Device& d = device(local);
      const MoeGeometry g = shard_geometry(local);
      const auto pairs = static_cast<std::size_t>(std::max<std::int64_t>(max_device_tokens_ * k, 1));
      const auto received = static_cast<std::size_t>(std::max<std::int64_t>(max_received(), 1));
      d.own.resize(static_cast<std::size_t>(E), pairs, pairs);
      d.received.resize(static_cast<std::size_t>(g.local_experts), received, received);
      d.sorted_x.resize(pairs * static_cast<std::size_t>(g.hidden_stride()));
      d.received_x.resize(received * static_cast<std::size_t>(g.hidden_stride()));
      d.permuted.resize(received * static_cast<std::size_t>(g.hidden_stride()));
      d.h.resize(received * static_cast<std::size_t>(g.intermediate_stride()));
      d.y_back.resize(static_cast<std::size_t>(mesh_.tp_actual()) * pairs * static_cast<std::size_t>(g.hidden));
      MOE_CUDA_CHECK(moe_kernels::make_tensor_map_2d(&d.gate_up_maps.a, d.permuted.data(), received, g.hidden,
                                                     g.hidden_stride(), g.block_m));
      MOE_CUDA_CHECK(moe_kernels::make_tensor_map_2d(&d.down_maps.a, d.h.data(), received, g.intermediate,
                                                     g.intermediate_stride(), g.block_m));
    });
  }

  void route_own_tokens(int local) {
    Device& d = device(local);
    const MoeGeometry g = own_geometry(local);
    const auto r = d.own.view();
    cudaStream_t s = group_.context(local).stream;
    MOE_CUDA_CHECK(moe_kernels::launch_route_and_count(shard(local).logits.data(), g, router_, r, s));
    MOE_CUDA_CHECK(moe_kernels::launch_scan_experts(g, r, s));
    MOE_CUDA_CHECK(moe_kernels::launch_scatter_pairs(g, r, s));
    MOE_CUDA_CHECK(moe_kernels::launch_permute_rows(shard(local).x.data(), g, r, d.sorted_x.data(), s));
  }

  // Every GPU's expert offsets to every GPU, and once to the host for the all-to-all sizes.
  void share_offsets() {
    const auto count = static_cast<std::size_t>(problem_.shape.num_experts + 1);
    MOE_NCCL_CHECK(ncclGroupStart());
    for (int local = 0; local < group_.local_count(); ++local) {
      MOE_NCCL_CHECK(ncclAllGather(device(local).own.view().expert_offsets, device(local).all_offsets.data(), count,
                                   ncclInt32, group_.comm(local), group_.context(local).stream));
    }
    MOE_NCCL_CHECK(ncclGroupEnd());
    MOE_CUDA_CHECK(cudaSetDevice(0));
    MOE_CUDA_CHECK(cudaMemcpyAsync(host_offsets_.data(), device(0).all_offsets.data(),
                                   count * static_cast<std::size_t>(group_.world_size()) * sizeof(int),
                                   cudaMemcpyDeviceToHost, group_.context(0).stream));
    MOE_CUDA_CHECK(cudaStreamSynchronize(group_.context(0).stream));
    const std::span<const std::int32_t> offsets(host_offsets_.data(),
                                                count * static_cast<std::size_t>(group_.world_size()));
    for (int local = 0; local < group_.local_count(); ++local)
      device(local).plan = exchange_plan(mesh_, offsets, problem_.shape.num_experts, group_.rank(local));
  }

  // Dispatch: sorted own rows out, received rows in (rows of hidden_stride). Combine: the reverse,
  // y rows of H, landing in y_back at the TP rank of the sender and the rows' sorted positions.
  void all_to_all(bool combine) {
    const std::int64_t H = problem_.shape.hidden_size, Hs = (H + 7) / 8 * 8;
    const std::int64_t pairs = max_device_tokens_ * problem_.shape.top_k;
    MOE_NCCL_CHECK(ncclGroupStart());
    for (int local = 0; local < group_.local_count(); ++local) {
      Device& d = device(local);
      for (int peer = 0; peer < group_.world_size(); ++peer) {
        const auto p = static_cast<std::size_t>(peer);
        const std::int64_t out_rows = combine ? d.plan.recv_rows[p] : d.plan.send_rows[p];
        const std::int64_t in_rows = combine ? d.plan.send_rows[p] : d.plan.recv_rows[p];
        const __nv_bfloat16* out =
            combine ? d.received_x.data() + d.plan.recv_first[p] * H : d.sorted_x.data() + d.plan.send_first[p] * Hs;
        __nv_bfloat16* in = combine ? d.y_back.data() + (mesh_.coord(peer).tp_rank * pairs + d.plan.send_first[p]) * H
                                    : d.received_x.data() + d.plan.recv_first[p] * Hs;
        const std::int64_t row = combine ? H : Hs;
        ncclComm_t comm = group_.comm(local);
        cudaStream_t s = group_.context(local).stream;
        if (out_rows > 0)
          MOE_NCCL_CHECK(ncclSend(out, static_cast<std::size_t>(out_rows * row), ncclBfloat16, peer, comm, s));
        if (in_rows > 0)
          MOE_NCCL_CHECK(ncclRecv(in, static_cast<std::size_t>(in_rows * row), ncclBfloat16, peer, comm, s));
      }
    }
    MOE_NCCL_CHECK(ncclGroupEnd());
  }

  void expert_ffn(int local) {
    Device& d = device(local);
    const MoeGeometry g = received_geometry(local);
    const auto r = d.received.view();
    cudaStream_t s = group_.context(local).stream;
    const int ctas = group_.context(local).sm_count();
    {
      const ScopedPhase phase("permute");
      MOE_CUDA_CHECK(moe_kernels::launch_label_received_rows(d.all_offsets.data(), group_.world_size(), g, r, s));
      MOE_CUDA_CHECK(moe_kernels::launch_scan_experts(g, r, s));
      MOE_CUDA_CHECK(moe_kernels::launch_scatter_pairs(g, r, s));
      MOE_CUDA_CHECK(moe_kernels::launch_permute_rows(d.received_x.data(), g, r, d.permuted.data(), s));
    }
    {
      const ScopedPhase phase("gate_up_gemm");
      MOE_CUDA_CHECK(
          moe_kernels::launch_grouped_gate_up(d.gate_up_maps, g, r, problem_.shape.activation, d.h.data(), ctas, s));
    }
    {
      const ScopedPhase phase("down_gemm");
      // y overwrites the permuted rows, which the gate/up GEMM has finished reading.
      MOE_CUDA_CHECK(moe_kernels::launch_grouped_down(d.down_maps, g, r, d.permuted.data(), ctas, s));
    }
    const ScopedPhase phase("unpermute");
    // Back into arrival order (k = 1, weight 1), rows of H, over the received x already consumed.
    MOE_CUDA_CHECK(moe_kernels::launch_unpermute({d.permuted.data(), g.hidden_stride()}, g, r, d.received_x.data(), s));
  }

  void weighted_sum(int local) {
    Device& d = device(local);
    const MoeGeometry g = own_geometry(local);
    const std::int64_t pairs = max_device_tokens_ * problem_.shape.top_k;
    const moe_kernels::CombineSource partials{d.y_back.data(), g.hidden, mesh_.tp_actual(), pairs * g.hidden, false};
    MOE_CUDA_CHECK(moe_kernels::launch_unpermute(partials, g, d.own.view(), shard(local).out.data(),
                                                 group_.context(local).stream));
  }

  std::vector<Device> devices_;
  PinnedBuffer<std::int32_t> host_offsets_;  // (world, E + 1)
};

}  // namespace

std::unique_ptr<MoeImplementation> make_multi_gpu_epmoe(DeviceGroup& group, const Problem& problem,
                                                        const EpWeights& weights) {
  return std::make_unique<MultiGpuEpMoe>(group, problem, weights);
}

}  // namespace moebench::cuda
