// epmoe on one GPU: seven kernels, each a separate step that reads and writes device memory:
// route + count, scan, scatter, permute (the permuted copy of x), grouped gate/up GEMM with the
// activation in its epilogue (h), grouped down GEMM (y), weighted un-permute (out).
#include "cuda/device/device_weights.hpp"
#include "cuda/single_gpu/implementations.hpp"
#include "cuda/single_gpu/moe_base.hpp"
#include "moe_kernels/launch.hpp"
#include "profile/phase.hpp"

namespace moebench::cuda {
namespace {

using moe_kernels::MoeGeometry;

class SingleGpuEpMoe final : public SingleGpuMoeBase {
 public:
  SingleGpuEpMoe(const CudaContext& context, const Problem& problem, const EpWeights& w)
      : SingleGpuMoeBase(context, problem) {
    upload_grouped_gemm_weights(w, {0, geometry_.local_experts}, {0, geometry_.intermediate}, weights_, gate_up_maps_,
                                down_maps_);
  }

  ImplKind kind() const override { return ImplKind::kEpMoe; }

  void run_iteration() override {
    const MoeGeometry& g = geometry_;
    const auto r = routing_buffers();
    cudaStream_t stream = context_.stream;
    const int ctas = context_.sm_count();
    // Host ranges around the launches (NVTX for Nsight Systems); the kernels themselves show on
    // the GPU tracks of a moebench trace.
    {
      const ScopedPhase phase("route");
      MOE_CUDA_CHECK(moe_kernels::launch_route_and_count(logits_.data(), g, router_, r, stream));
    }
    {
      const ScopedPhase phase("permute");
      MOE_CUDA_CHECK(moe_kernels::launch_scan_experts(g, r, stream));
      MOE_CUDA_CHECK(moe_kernels::launch_scatter_pairs(g, r, stream));
      MOE_CUDA_CHECK(moe_kernels::launch_permute_rows(x_.data(), g, r, permuted_x_.data(), stream));
    }
    {
      const ScopedPhase phase("gate_up_gemm");
      MOE_CUDA_CHECK(
          moe_kernels::launch_grouped_gate_up(gate_up_maps_, g, r, problem_.shape.activation, h_.data(), ctas, stream));
    }
    {
      const ScopedPhase phase("down_gemm");
      MOE_CUDA_CHECK(moe_kernels::launch_grouped_down(down_maps_, g, r, y_.data(), ctas, stream));
    }
    const ScopedPhase phase("combine");
    MOE_CUDA_CHECK(moe_kernels::launch_unpermute({y_.data(), g.hidden_stride()}, g, r, out_.data(), stream));
  }

 private:
  void size_workspace() override {
    const MoeGeometry& g = geometry_;
    const std::uint64_t pairs = g.max_pairs();
    permuted_x_.resize(pairs * g.hidden_stride());
    h_.resize(pairs * g.intermediate_stride());
    y_.resize(pairs * g.hidden_stride());
    MOE_CUDA_CHECK(moe_kernels::make_tensor_map_2d(&gate_up_maps_.a, permuted_x_.data(), pairs, g.hidden,
                                                   g.hidden_stride(), g.block_m));
    MOE_CUDA_CHECK(moe_kernels::make_tensor_map_2d(&down_maps_.a, h_.data(), pairs, g.intermediate,
                                                   g.intermediate_stride(), g.block_m));
  }

  DeviceWeights weights_;
  DeviceBuffer<__nv_bfloat16> permuted_x_, h_, y_;
  moe_kernels::GroupedGemmMaps gate_up_maps_{}, down_maps_{};
};

}  // namespace

std::unique_ptr<MoeImplementation> make_single_gpu_epmoe(const CudaContext& context, const Problem& problem,
                                                         const EpWeights& weights) {
  return std::make_unique<SingleGpuEpMoe>(context, problem, weights);
}

double single_gpu_epmoe_bytes(const Problem& problem, std::int64_t num_tokens) {
  const MoeShape& s = problem.shape;
  const double E = static_cast<double>(s.num_experts), H = static_cast<double>(s.hidden_size);
  const double I = static_cast<double>(s.intermediate_size), T = static_cast<double>(num_tokens);
  const double pairs = T * static_cast<double>(s.top_k);
  const double Hs = (H + 7) / 8 * 8, Is = (I + 7) / 8 * 8;
  const double weights = 2.0 * (E * 2 * I * Hs + E * H * Is);
  const double buffers = 2.0 * (T * Hs + T * H + pairs * (2 * Hs + Is)) + 4.0 * T * E + 24.0 * pairs;
  return weights + buffers;
}

}  // namespace moebench::cuda
