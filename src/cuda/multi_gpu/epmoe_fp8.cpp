// epmoe over several GPUs in block-scaled FP8 (docs/fp8.md, "Expert parallelism"): each GPU
// quantizes its own sorted rows into packed rows (e4m3 codes, then one f32 scale per 128
// channels: about half of bf16's bytes) and the dispatch of epmoe_base.cpp sends those; the
// receiver copies them into expert order in the layout the grouped FP8 GEMMs read by TMA, runs
// them on its experts and intermediate slice (h quantized in the gate/up epilogue), and puts the
// bf16 y back into arrival order for the combine, which stays bf16.
#include <algorithm>

#include "core/fp8_weights.hpp"
#include "cuda/device/cuda_check.hpp"
#include "cuda/device/device_fp8_weights.hpp"
#include "cuda/device/fp8_row_buffers.hpp"
#include "cuda/multi_gpu/epmoe_base.hpp"
#include "cuda/multi_gpu/implementations.hpp"
#include "moe_kernels/launch.hpp"
#include "profile/phase.hpp"

namespace moebench::cuda {
namespace {

using moe_kernels::Fp8PackedRows;
using moe_kernels::MoeGeometry;

class MultiGpuEpMoeFp8 final : public MultiGpuEpMoeBase {
 public:
  MultiGpuEpMoeFp8(DeviceGroup& group, const Problem& problem, const EpWeights& w)
      : MultiGpuEpMoeBase(group, problem), devices_(static_cast<std::size_t>(group.local_count())) {
    const Fp8EpWeights quantized = quantize_ep_weights(w);
    group_.for_each([&](int local) {
      Device& d = device(local);
      upload_grouped_gemm_fp8_weights(slice_fp8_weights(quantized, expert_range(local), intermediate_range(local)),
                                      d.weights, d.gate_up_maps, d.down_maps, d.down_halves);
    });
  }

 private:
  struct Device {
    DeviceFp8Weights weights;
    moe_kernels::GroupedGemmFp8Maps gate_up_maps{}, down_maps{};
    CUtensorMap down_halves{};      // the clustered GEMMs' map, which this path does not run
    Fp8RowBuffer permuted, h;       // received rows in expert order; the activation
    DeviceBuffer<__nv_bfloat16> y;  // (max received, hidden_stride), sorted
  };
  Device& device(int local) { return devices_[static_cast<std::size_t>(local)]; }

  int hidden() const { return static_cast<int>(problem_.shape.hidden_size); }
  std::int64_t dispatch_row_bytes() const override { return Fp8PackedRows::of_width(nullptr, hidden()).row_bytes; }

  void size_ffn_workspace(int local) override {
    Device& d = device(local);
    const MoeGeometry g = shard_geometry(local);
    const int received = static_cast<int>(std::max<std::int64_t>(max_received(), 1));
    d.permuted.size(received, g.hidden, moe_kernels::kFp8BlockM);
    d.h.size(received, g.intermediate, moe_kernels::kFp8BlockM);
    d.y.resize(static_cast<std::size_t>(received) * static_cast<std::size_t>(g.hidden_stride()));
    d.gate_up_maps.a = d.permuted.codes_map();
    d.gate_up_maps.a_scales = d.permuted.scales_map();
    d.down_maps.a = d.h.codes_map();
    d.down_maps.a_scales = d.h.scales_map();
  }

  void write_sorted_rows(int local) override {
    const Fp8PackedRows sorted = Fp8PackedRows::of_width(exchange(local).sorted_rows.data(), hidden());
    MOE_CUDA_CHECK(moe_kernels::launch_permute_quantize_packed_rows(
        shard(local).x.data(), own_geometry(local), exchange(local).own.view(), sorted, group_.context(local).stream));
  }

  void expert_ffn(int local) override {
    Device& d = device(local);
    const MoeGeometry g = received_geometry(local);
    const auto r = exchange(local).received.view();
    cudaStream_t s = group_.context(local).stream;
    const int ctas = group_.context(local).sm_count();
    {
      const ScopedPhase phase("permute");
      sort_received_rows(local);
      const Fp8PackedRows received = Fp8PackedRows::of_width(exchange(local).received_rows.data(), hidden());
      MOE_CUDA_CHECK(moe_kernels::launch_permute_packed_rows(received, g, r, d.permuted.rows(), s));
    }
    {
      const ScopedPhase phase("gate_up_gemm");
      MOE_CUDA_CHECK(moe_kernels::launch_grouped_gate_up_fp8(d.gate_up_maps, d.weights.scales(), g, r,
                                                             problem_.shape.activation, d.h.rows(), ctas, s));
    }
    {
      const ScopedPhase phase("down_gemm");
      MOE_CUDA_CHECK(moe_kernels::launch_grouped_down_fp8(d.down_maps, d.weights.scales(), g, r, d.y.data(), ctas, s));
    }
    const ScopedPhase phase("unpermute");
    // Back into arrival order (k = 1, weight 1), rows of H, over the received rows already consumed.
    MOE_CUDA_CHECK(
        moe_kernels::launch_unpermute({d.y.data(), g.hidden_stride()}, g, r, exchange(local).y_arrival(), s));
  }

  std::vector<Device> devices_;
};

}  // namespace

std::unique_ptr<MoeImplementation> make_multi_gpu_epmoe_fp8(DeviceGroup& group, const Problem& problem,
                                                            const EpWeights& weights) {
  return std::make_unique<MultiGpuEpMoeFp8>(group, problem, weights);
}

}  // namespace moebench::cuda
