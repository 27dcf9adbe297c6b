// epmoe on one GPU: seven kernels, each a separate step that reads and writes device memory:
// route + count, scan, scatter, permute (the permuted copy of x), grouped gate/up GEMM with the
// activation in its epilogue (h), grouped down GEMM (y), weighted un-permute (out). Every count
// stays on the device. Up to moe_kernels::kGroupedDecodeMaxTokens tokens (MOEBENCH_DECODE=on: 64)
// the grouped GEMMs are the decode ones, which split the experts' K steps evenly over the SMs,
// and each kernel is launched to overlap its prologue with the previous one's tail
// (StreamOrder::kOverlapPrologue).
#include <cmath>

#include "core/log.hpp"
#include "cuda/device/device_weights.hpp"
#include "cuda/single_gpu/grouped_decode_buffers.hpp"
#include "cuda/single_gpu/implementations.hpp"
#include "cuda/single_gpu/moe_base.hpp"
#include "moe_kernels/heuristics.hpp"
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
                                down_maps_, &down_halves_);
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
      MOE_CUDA_CHECK(moe_kernels::launch_permute_rows(x_.data(), g, r, permuted_x_.data(), stream, order_));
    }
    {
      const ScopedPhase phase("gate_up_gemm");
      const Activation act = problem_.shape.activation;
      if (decode_) {
        MOE_CUDA_CHECK(moe_kernels::launch_grouped_gate_up_decode(gate_up_maps_, g, r, act, h_.data(),
                                                                  decode_buffers_.gate_up(), ctas, stream, order_));
      } else if (clustered_) {
        MOE_CUDA_CHECK(
            moe_kernels::launch_grouped_gate_up_clustered(gate_up_maps_, g, r, act, h_.data(), stream, order_));
      } else {
        MOE_CUDA_CHECK(moe_kernels::launch_grouped_gate_up(gate_up_maps_, g, r, act, h_.data(), ctas, stream, order_));
      }
    }
    {
      const ScopedPhase phase("down_gemm");
      if (decode_) {
        MOE_CUDA_CHECK(moe_kernels::launch_grouped_down_decode(down_maps_, g, r, y_.data(), decode_buffers_.down(),
                                                               ctas, stream, order_));
      } else if (clustered_) {
        MOE_CUDA_CHECK(
            moe_kernels::launch_grouped_down_clustered(down_maps_, down_halves_, g, r, y_.data(), stream, order_));
      } else {
        MOE_CUDA_CHECK(moe_kernels::launch_grouped_down(down_maps_, g, r, y_.data(), ctas, stream, order_));
      }
    }
    const ScopedPhase phase("combine");
    MOE_CUDA_CHECK(moe_kernels::launch_unpermute({y_.data(), g.hidden_stride()}, g, r, out_.data(), stream, order_));
  }

 private:
  void size_workspace() override {
    const MoeGeometry& g = geometry_;
    const std::uint64_t pairs = g.max_pairs();
    decode_ = use_decode_kernels();
    route_in_cta_ = use_route_in_cta();
    if (route_in_cta_)
      log_verbose("epmoe T={}: routed, counted and sorted in one CTA (MOEBENCH_ROUTE_IN_CTA=on)", g.num_tokens);
    // Overlapped launches come with the decode GEMMs, the only launches they were timed with.
    order_ = decode_ ? moe_kernels::StreamOrder::kOverlapPrologue : moe_kernels::StreamOrder::kSerial;
    // The decode GEMMs take an expert's rows (at most 64) in one box.
    const int box_rows = decode_ ? moe_kernels::kDecodeMaxTokens : g.block_m;
    if (decode_) log_verbose("epmoe T={}: the decode grouped GEMMs{}", g.num_tokens, decode_finish_note());
    clustered_ = use_clustered_gemms();
    if (clustered_)
      log_verbose(
          "epmoe T={}: the clustered grouped GEMMs (MOEBENCH_GEMM_CLUSTER=on: pairs of CTAs share each weight "
          "tile by multicast)",
          g.num_tokens);
    permuted_x_.resize(pairs * g.hidden_stride());
    h_.resize(pairs * g.intermediate_stride());
    y_.resize(pairs * g.hidden_stride());
    MOE_CUDA_CHECK(moe_kernels::make_tensor_map_2d(&gate_up_maps_.a, permuted_x_.data(), pairs, g.hidden,
                                                   g.hidden_stride(), box_rows));
    MOE_CUDA_CHECK(moe_kernels::make_tensor_map_2d(&down_maps_.a, h_.data(), pairs, g.intermediate,
                                                   g.intermediate_stride(), box_rows));
    if (decode_) decode_buffers_.size(g, decode_finish());
  }

  DeviceWeights weights_;
  DeviceBuffer<__nv_bfloat16> permuted_x_, h_, y_;
  moe_kernels::GroupedGemmMaps gate_up_maps_{}, down_maps_{};
  CUtensorMap down_halves_{};  // the down weights in boxes of 128 rows (the clustered GEMMs)
  bool decode_ = false;        // this case runs the decode GEMMs
  bool route_in_cta_ = false;  // its routing, counts and sorted rows come from one launch
  bool clustered_ = false;     // this case runs the clustered tiled GEMMs
  moe_kernels::StreamOrder order_ = moe_kernels::StreamOrder::kSerial;
  GroupedDecodeBuffers decode_buffers_;
};

}  // namespace

std::unique_ptr<MoeImplementation> make_single_gpu_epmoe(const CudaContext& context, const Problem& problem,
                                                         const EpWeights& weights) {
  if (problem.dtype == WeightDtype::kFp8Block128) return make_single_gpu_epmoe_fp8(context, problem, weights);
  return std::make_unique<SingleGpuEpMoe>(context, problem, weights);
}

double single_gpu_epmoe_bytes(const Problem& problem, std::int64_t num_tokens) {
  const MoeShape& s = problem.shape;
  const double E = static_cast<double>(s.num_experts), H = static_cast<double>(s.hidden_size);
  const double I = static_cast<double>(s.intermediate_size), T = static_cast<double>(num_tokens);
  const double pairs = T * static_cast<double>(s.top_k);
  const double Hs = (H + 7) / 8 * 8, Is = (I + 7) / 8 * 8;
  if (problem.dtype == WeightDtype::kFp8Block128) {
    // A byte per weight and an f32 scale per 128 x 128 block; the permuted x's and h's codes and
    // scales; y in bf16; the decode GEMMs' f32 partial sums up to 64 tokens.
    const double Hb = std::ceil(H / 128), Ib = std::ceil(I / 128), H16 = std::ceil(H / 16) * 16;
    const double I16 = std::ceil(I / 16) * 16, Ip = std::ceil(I / 128) * 128;
    const double weights = E * 2 * I * H16 + E * H * I16 + 4.0 * 3 * E * Hb * Ib;
    const double activations = pairs * (H16 + 4 * Hb + I16 + 4 * Ib) + 2.0 * pairs * Hs;
    const double decode = T <= moe_kernels::kDecodeMaxTokens ? 4.0 * pairs * (2 * Ip + H) : 0.0;
    return weights + activations + decode + 2.0 * (T * Hs + T * H) + 4.0 * T * E + 24.0 * pairs;
  }
  const double weights = 2.0 * (E * 2 * I * Hs + E * H * Is);
  const double buffers = 2.0 * (T * Hs + T * H + pairs * (2 * Hs + Is)) + 4.0 * T * E + 24.0 * pairs;
  // The decode GEMMs' f32 partial sums (moe_kernels::use_decode_kernel: up to 64 tokens).
  const double Ip = (I + 127) / 128 * 128;
  const double decode = T <= moe_kernels::kDecodeMaxTokens ? 4.0 * pairs * (2 * Ip + H) : 0.0;
  return weights + buffers + decode;
}

}  // namespace moebench::cuda
