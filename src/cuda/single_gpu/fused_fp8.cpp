// fused on one GPU in block-scaled FP8 (docs/fp8.md): one cooperative launch per iteration, of the
// FP8 decode kernel for small batches (kernels/src/sm90_fused_moe_fp8_decode.cu; up to 16 tokens
// by default, heuristics.hpp) and of the tiled kernel above (kernels/src/sm90_fused_moe_fp8.cu);
// each quantizes x, runs both GEMMs on e4m3 operands and writes the bf16 output.
#include <cstdlib>
#include <string_view>

#include "core/fp8_weights.hpp"
#include "core/log.hpp"
#include "cuda/device/device_fp8_weights.hpp"
#include "cuda/device/fp8_row_buffers.hpp"
#include "cuda/single_gpu/fused_kernel_host.hpp"
#include "cuda/single_gpu/implementations.hpp"
#include "moe_kernels/decode_limits.hpp"
#include "moe_kernels/heuristics.hpp"
#include "moe_kernels/launch.hpp"

namespace moebench::cuda {
namespace {

using moe_kernels::MoeGeometry;

class SingleGpuFusedFp8 final
    : public SingleGpuFusedBase<moe_kernels::FusedMoeFp8Args, moe_kernels::FusedMoeFp8DecodeArgs> {
 public:
  SingleGpuFusedFp8(const CudaContext& context, const Problem& problem, const EpWeights& w)
      : SingleGpuFusedBase(context, problem,
                           {"fused_moe_fp8_kernel", "fused_moe_fp8_decode_kernel", moe_kernels::launch_fused_moe_fp8,
                            moe_kernels::launch_fused_moe_fp8_decode}) {
    upload_fused_fp8_weights(quantize_ep_weights(w), weights_, args_.w13, args_.w2);
    args_.scales = weights_.scales();
    decode_args_.w13 = args_.w13;
    decode_args_.w2 = args_.w2;
    decode_args_.scales = args_.scales;
  }

 private:
  void size_tiled_workspace() override {
    const MoeGeometry& g = geometry_;
    const std::uint64_t pairs = g.max_pairs();
    const std::int64_t rows_per_expert = static_cast<std::int64_t>(pairs) / std::max(1, g.local_experts);
    x_fp8_.size(g.num_tokens, g.hidden);
    h_.size(static_cast<int>(pairs), g.intermediate, g.block_m);
    y_.resize(pairs * g.hidden_stride());
    MOE_CUDA_CHECK(moe_kernels::fused_moe_fp8_max_ctas(context_.device, &num_ctas_));
    args_.x = x_.data();
    args_.logits = logits_.data();
    args_.x_fp8 = x_fp8_.rows();
    args_.h = h_.rows();
    args_.h_map = h_.codes_map();
    args_.h_scale_map = h_.scales_map();
    args_.y = y_.data();
    args_.out = out_.data();
    args_.barrier = barrier_.data();
    args_.routing = routing_buffers();
    args_.x_sorted = {};
    if (gathered_x_requested()) {
      log_verbose("fused T={}: x's rows gathered by the gate/up tiles (MOEBENCH_FUSED_FP8_X=gather)", g.num_tokens);
    } else {
      // 5-22% faster than the gather on an H100 (bench/notes.md, seventeenth session).
      x_sorted_.size(static_cast<int>(pairs), g.hidden, g.block_m);
      args_.x_sorted = x_sorted_.rows();
      args_.x_map = x_sorted_.codes_map();
      args_.x_scale_map = x_sorted_.scales_map();
    }
    if (moe_kernels::overlap_gate_up_and_down(g.intermediate, rows_per_expert)) {
      row_block_done_.resize(tiled_max_row_blocks(g));
      args_.routing.row_block_done = row_block_done_.data();
    }
    attach_tiled_timeline(tile_timeline_, g, args_);
    args_.geometry = g;
  }

  // The FP8 decode kernel's workspace: x and h in e4m3 (h read by TMA in boxes of 64 rows), the f32
  // partial sums of gate/up and of the output, which the kernel leaves zero, and its counters
  // (moe_kernels::Fp8DecodeCounters).
  void size_decode_workspace() override {
    const MoeGeometry& g = geometry_;
    log_verbose("fused T={}: the FP8 decode kernel (every SM streams an equal share of each GEMM's K steps){}",
                g.num_tokens, decode_finish_note());
    const int pairs = g.max_pairs();
    decode_x_.size(g.num_tokens, g.hidden, moe_kernels::kDecodeMaxTokens);
    h_.size(pairs, g.intermediate, moe_kernels::kDecodeMaxTokens);
    gate_up_partial_.resize(static_cast<std::size_t>(pairs) * 2 * g.gate_up_tiles() * moe_kernels::kGateUpBlock);
    out_partial_.resize(static_cast<std::size_t>(g.num_tokens) * g.hidden);
    const moe_kernels::Fp8DecodeCounters counters{{g.local_experts, g.gate_up_tiles(), g.down_tiles()}};
    decode_counters_.resize(static_cast<std::size_t>(counters.size()));
    MOE_CUDA_CHECK(moe_kernels::fused_moe_fp8_decode_max_ctas(context_.device, &decode_ctas_));
    attach_decode_timeline(tile_timeline_, g, decode_ctas_, moe_kernels::kFp8BlockK, decode_args_);
    decode_args_.x = x_.data();
    decode_args_.logits = logits_.data();
    decode_args_.x_fp8 = decode_x_.rows();
    decode_args_.h = h_.rows();
    decode_args_.h_map = h_.codes_map();
    decode_args_.h_scale_map = h_.scales_map();
    decode_args_.gate_up_partial = gate_up_partial_.data();
    decode_args_.out_partial = out_partial_.data();
    decode_args_.counters = decode_counters_.data();
    decode_args_.out = out_.data();
    decode_args_.geometry = g;
    decode_args_.finish = decode_finish();
  }

  // The tiled kernel's gate/up tiles read x by TMA from a copy in expert order
  // (launch.hpp: FusedMoeFp8Args::x_sorted); MOEBENCH_FUSED_FP8_X=gather has them gather its rows
  // from the packed x instead, as before the seventeenth session.
  static bool gathered_x_requested() {
    const char* setting = std::getenv("MOEBENCH_FUSED_FP8_X");
    return setting != nullptr && std::string_view(setting) == "gather";
  }

  DeviceFp8Weights weights_;
  PackedFp8Rows x_fp8_;
  Fp8RowBuffer x_sorted_;  // but with MOEBENCH_FUSED_FP8_X=gather
  Fp8RowBuffer h_;
  DeviceBuffer<__nv_bfloat16> y_;
  Fp8RowBuffer decode_x_;
};

}  // namespace

std::unique_ptr<MoeImplementation> make_single_gpu_fused_fp8(const CudaContext& context, const Problem& problem,
                                                             const EpWeights& weights) {
  return std::make_unique<SingleGpuFusedFp8>(context, problem, weights);
}

}  // namespace moebench::cuda
