// epmoe on one GPU in block-scaled FP8 (docs/fp8.md): seven kernels as the bf16 pipeline, the
// permute quantizing each sorted row into e4m3 codes and scales (moe_permute_fp8.cu), the grouped
// GEMMs on e4m3 operands (sm90_grouped_gemm_fp8.cu) with h quantized in the gate/up epilogue, y
// and the output in bf16. For small batches (up to 8 tokens by default, heuristics.hpp) the GEMMs
// are the FP8 decode kernels (sm90_grouped_gemm_fp8_decode.cu) and every launch overlaps its
// predecessor's tail (PDL); above, the tiled GEMMs, serially launched (with MOEBENCH_GEMM_CLUSTER=on
// on the clustered engine: pairs of CTAs multicast the weight tiles they share).
#include "core/fp8_weights.hpp"
#include "core/log.hpp"
#include "cuda/device/device_fp8_weights.hpp"
#include "cuda/device/fp8_row_buffers.hpp"
#include "cuda/single_gpu/grouped_decode_buffers.hpp"
#include "cuda/single_gpu/implementations.hpp"
#include "cuda/single_gpu/moe_base.hpp"
#include "moe_kernels/decode_limits.hpp"
#include "moe_kernels/launch.hpp"
#include "profile/phase.hpp"

namespace moebench::cuda {
namespace {

using moe_kernels::MoeGeometry;

class SingleGpuEpMoeFp8 final : public SingleGpuMoeBase {
 public:
  SingleGpuEpMoeFp8(const CudaContext& context, const Problem& problem, const EpWeights& w)
      : SingleGpuMoeBase(context, problem) {
    upload_grouped_gemm_fp8_weights(quantize_ep_weights(w), weights_, gate_up_maps_, down_maps_, down_halves_);
  }

  ImplKind kind() const override { return ImplKind::kEpMoe; }

  void run_iteration() override {
    const MoeGeometry& g = geometry_;
    const auto r = routing_buffers();
    cudaStream_t stream = context_.stream;
    const int ctas = context_.sm_count();
    {
      const ScopedPhase phase("route");
      MOE_CUDA_CHECK(route_in_cta_
                         ? moe_kernels::launch_route_and_sort_in_cta(logits_.data(), g, router_, r, stream, order_)
                         : moe_kernels::launch_route_and_count(logits_.data(), g, router_, r, stream, order_));
    }
    {
      const ScopedPhase phase("permute");
      if (!route_in_cta_) {
        MOE_CUDA_CHECK(moe_kernels::launch_scan_experts(g, r, stream, order_));
        MOE_CUDA_CHECK(moe_kernels::launch_scatter_pairs(g, r, stream, order_));
      }
      MOE_CUDA_CHECK(moe_kernels::launch_permute_quantize_rows(x_.data(), g, r, permuted_x_.rows(), stream, order_));
    }
    {
      const ScopedPhase phase("gate_up_gemm");
      const Activation act = problem_.shape.activation;
      if (decode_) {
        MOE_CUDA_CHECK(moe_kernels::launch_grouped_gate_up_fp8_decode(
            gate_up_maps_, weights_.scales(), g, r, act, h_.rows(), decode_buffers_.gate_up(), ctas, stream, order_));
      } else if (clustered_) {
        MOE_CUDA_CHECK(moe_kernels::launch_grouped_gate_up_fp8_clustered(gate_up_maps_, weights_.scales(), g, r, act,
                                                                         h_.rows(), stream));
      } else {
        MOE_CUDA_CHECK(moe_kernels::launch_grouped_gate_up_fp8(gate_up_maps_, weights_.scales(), g, r, act, h_.rows(),
                                                               ctas, stream));
      }
    }
    {
      const ScopedPhase phase("down_gemm");
      if (decode_) {
        MOE_CUDA_CHECK(moe_kernels::launch_grouped_down_fp8_decode(down_maps_, weights_.scales(), g, r, y_.data(),
                                                                   decode_buffers_.down(), ctas, stream, order_));
      } else if (clustered_) {
        MOE_CUDA_CHECK(moe_kernels::launch_grouped_down_fp8_clustered(down_maps_, down_halves_, weights_.scales(), g, r,
                                                                      y_.data(), stream));
      } else {
        MOE_CUDA_CHECK(
            moe_kernels::launch_grouped_down_fp8(down_maps_, weights_.scales(), g, r, y_.data(), ctas, stream));
      }
    }
    const ScopedPhase phase("combine");
    MOE_CUDA_CHECK(moe_kernels::launch_unpermute({y_.data(), g.hidden_stride()}, g, r, out_.data(), stream, order_));
  }

 private:
  void size_workspace() override {
    const MoeGeometry& g = geometry_;
    const int pairs = g.max_pairs();
    decode_ = use_decode_kernels();
    route_in_cta_ = use_route_in_cta();
    if (route_in_cta_)
      log_verbose("epmoe T={}: routed, counted and sorted in one CTA (MOEBENCH_ROUTE_IN_CTA=on)", g.num_tokens);
    clustered_ = use_clustered_gemms();
    // Overlapped launches come with the decode GEMMs, as in bf16 (epmoe.cpp).
    order_ = decode_ ? moe_kernels::StreamOrder::kOverlapPrologue : moe_kernels::StreamOrder::kSerial;
    if (decode_) log_verbose("epmoe T={}: the FP8 decode grouped GEMMs{}", g.num_tokens, decode_finish_note());
    if (clustered_)
      log_verbose(
          "epmoe T={}: the clustered FP8 grouped GEMMs (MOEBENCH_GEMM_CLUSTER=on: pairs of CTAs share each "
          "weight tile by multicast)",
          g.num_tokens);
    // The decode GEMMs' boxes hold an expert's rows (at most kDecodeMaxTokens), the tiles' a tile.
    const int box_rows = decode_ ? moe_kernels::kDecodeMaxTokens : g.block_m;
    permuted_x_.size(pairs, g.hidden, box_rows);
    h_.size(pairs, g.intermediate, box_rows);
    if (decode_) decode_buffers_.size(g, decode_finish());
    y_.resize(static_cast<std::size_t>(pairs) * g.hidden_stride());
    gate_up_maps_.a = permuted_x_.codes_map();
    gate_up_maps_.a_scales = permuted_x_.scales_map();
    down_maps_.a = h_.codes_map();
    down_maps_.a_scales = h_.scales_map();
  }

  DeviceFp8Weights weights_;
  CUtensorMap down_halves_{};
  bool clustered_ = false;  // this case runs the clustered tiled GEMMs
  Fp8RowBuffer permuted_x_, h_;
  DeviceBuffer<__nv_bfloat16> y_;
  moe_kernels::GroupedGemmFp8Maps gate_up_maps_{}, down_maps_{};
  bool decode_ = false;        // this case runs the FP8 decode GEMMs
  bool route_in_cta_ = false;  // its routing, counts and sorted rows come from one launch
  moe_kernels::StreamOrder order_ = moe_kernels::StreamOrder::kSerial;
  GroupedDecodeBuffers decode_buffers_;
};

}  // namespace

std::unique_ptr<MoeImplementation> make_single_gpu_epmoe_fp8(const CudaContext& context, const Problem& problem,
                                                             const EpWeights& weights) {
  return std::make_unique<SingleGpuEpMoeFp8>(context, problem, weights);
}

}  // namespace moebench::cuda
