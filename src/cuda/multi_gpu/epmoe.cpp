// epmoe over several GPUs in bf16: the one-GPU pipeline's kernels around the two all-to-alls of
// epmoe_base.cpp. The dispatch sends the own rows as they are (bf16, rows of hidden_stride); the
// receiver sorts them by local expert, runs the grouped gate/up and down GEMMs on its experts and
// intermediate slice, and puts y back into arrival order for the combine.
#include <algorithm>

#include "cuda/device/cuda_check.hpp"
#include "cuda/device/device_weights.hpp"
#include "cuda/multi_gpu/epmoe_base.hpp"
#include "cuda/multi_gpu/implementations.hpp"
#include "moe_kernels/launch.hpp"
#include "profile/phase.hpp"

namespace moebench::cuda {
namespace {

using moe_kernels::MoeGeometry;

class MultiGpuEpMoe final : public MultiGpuEpMoeBase {
 public:
  MultiGpuEpMoe(DeviceGroup& group, const Problem& problem, const EpWeights& w)
      : MultiGpuEpMoeBase(group, problem), devices_(static_cast<std::size_t>(group.local_count())) {
    group_.for_each([&](int local) {
      Device& d = device(local);
      upload_grouped_gemm_weights(w, expert_range(local), intermediate_range(local), d.weights, d.gate_up_maps,
                                  d.down_maps);
    });
  }

 private:
  struct Device {
    DeviceWeights weights;
    moe_kernels::GroupedGemmMaps gate_up_maps{}, down_maps{};
    DeviceBuffer<__nv_bfloat16> permuted;  // received rows sorted by local expert; later y sorted
    DeviceBuffer<__nv_bfloat16> h;         // (max received, Is)
  };
  Device& device(int local) { return devices_[static_cast<std::size_t>(local)]; }

  std::int64_t dispatch_row_bytes() const override { return 2 * ((problem_.shape.hidden_size + 7) / 8 * 8); }

  void size_ffn_workspace(int local) override {
    Device& d = device(local);
    const MoeGeometry g = shard_geometry(local);
    const auto received = static_cast<std::size_t>(std::max<std::int64_t>(max_received(), 1));
    d.permuted.resize(received * static_cast<std::size_t>(g.hidden_stride()));
    d.h.resize(received * static_cast<std::size_t>(g.intermediate_stride()));
    MOE_CUDA_CHECK(moe_kernels::make_tensor_map_2d(&d.gate_up_maps.a, d.permuted.data(), received, g.hidden,
                                                   g.hidden_stride(), g.block_m));
    MOE_CUDA_CHECK(moe_kernels::make_tensor_map_2d(&d.down_maps.a, d.h.data(), received, g.intermediate,
                                                   g.intermediate_stride(), g.block_m));
  }

  void write_sorted_rows(int local) override {
    auto* sorted = reinterpret_cast<__nv_bfloat16*>(exchange(local).sorted_rows.data());
    MOE_CUDA_CHECK(moe_kernels::launch_permute_rows(shard(local).x.data(), own_geometry(local),
                                                    exchange(local).own.view(), sorted, group_.context(local).stream));
  }

  void expert_ffn(int local) override {
    Device& d = device(local);
    const MoeGeometry g = received_geometry(local);
    const auto r = exchange(local).received.view();
    auto* received = reinterpret_cast<const __nv_bfloat16*>(exchange(local).received_rows.data());
    cudaStream_t s = group_.context(local).stream;
    const int ctas = group_.context(local).sm_count();
    {
      const ScopedPhase phase("permute");
      sort_received_rows(local);
      MOE_CUDA_CHECK(moe_kernels::launch_permute_rows(received, g, r, d.permuted.data(), s));
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
    // Back into arrival order (k = 1, weight 1), rows of H, over the received rows already consumed.
    MOE_CUDA_CHECK(
        moe_kernels::launch_unpermute({d.permuted.data(), g.hidden_stride()}, g, r, exchange(local).y_arrival(), s));
  }

  std::vector<Device> devices_;
};

}  // namespace

std::unique_ptr<MoeImplementation> make_multi_gpu_epmoe(DeviceGroup& group, const Problem& problem,
                                                        const EpWeights& weights) {
  if (problem.dtype == WeightDtype::kFp8Block128) return make_multi_gpu_epmoe_fp8(group, problem, weights);
  return std::make_unique<MultiGpuEpMoe>(group, problem, weights);
}

}  // namespace moebench::cuda
