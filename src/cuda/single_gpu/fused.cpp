// fused on one GPU: one cooperative launch per iteration, of the decode kernel up to 64 tokens
// (kernels/src/sm90_fused_moe_decode.cu) and of the tiled kernel above (kernels/src/sm90_fused_moe.cu).
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "core/log.hpp"
#include "cuda/device/device_weights.hpp"
#include "cuda/single_gpu/fused_kernel_host.hpp"
#include "cuda/single_gpu/implementations.hpp"
#include "moe_kernels/heuristics.hpp"
#include "moe_kernels/launch.hpp"

namespace moebench::cuda {
namespace {

using moe_kernels::MoeGeometry;

class SingleGpuFused final : public SingleGpuFusedBase<moe_kernels::FusedMoeArgs, moe_kernels::FusedMoeDecodeArgs> {
 public:
  SingleGpuFused(const CudaContext& context, const Problem& problem, const EpWeights& w)
      : SingleGpuFusedBase(context, problem,
                           {"fused_moe_kernel", "fused_moe_decode_kernel", moe_kernels::launch_fused_moe,
                            moe_kernels::launch_fused_moe_decode}) {
    upload_fused_weights(w, {0, geometry_.local_experts}, {0, geometry_.intermediate}, weights_, args_.w13, args_.w2);
    decode_args_.w13 = args_.w13;
    decode_args_.w2 = args_.w2;
  }

 private:
  void size_tiled_workspace() override {
    const std::int64_t rows_per_expert =
        static_cast<std::int64_t>(geometry_.max_pairs()) / std::max(1, geometry_.local_experts);
    geometry_.spill = moe_kernels::choose_spill_rule(geometry_.block_m, geometry_.intermediate, rows_per_expert);
    if (geometry_.spill.tail_rows > 0) {
      log_verbose(
          "fused T={}: an expert's spill past its 128-row tiles rides on its last {} full tile(s), up to {} rows "
          "each{}",
          geometry_.num_tokens, geometry_.spill.carriers, geometry_.spill.tail_rows,
          moe_kernels::order_tiles_longest_first(geometry_.spill) ? "; tiles by descending expert rows" : "");
    }
    const MoeGeometry& g = geometry_;
    const std::uint64_t pairs = g.max_pairs();
    h_.resize(pairs * g.intermediate_stride());
    y_.resize(pairs * g.hidden_stride());
    MOE_CUDA_CHECK(moe_kernels::make_tensor_map_2d(&args_.h_map, h_.data(), pairs, g.intermediate,
                                                   g.intermediate_stride(), g.block_m));
    MOE_CUDA_CHECK(moe_kernels::make_tensor_map_2d(&args_.h_tail_map, h_.data(), pairs, g.intermediate,
                                                   g.intermediate_stride(), moe_kernels::kMaxTailRows));
    MOE_CUDA_CHECK(moe_kernels::fused_moe_max_ctas(context_.device, g, &num_ctas_));
    args_.x = x_.data();
    args_.logits = logits_.data();
    args_.h = h_.data();
    args_.y = y_.data();
    args_.out = out_.data();
    args_.barrier = barrier_.data();
    args_.routing = routing_buffers();
    if (moe_kernels::order_tiles_longest_first(g.spill)) {
      expert_order_.resize(static_cast<std::size_t>(g.local_experts));
      args_.routing.expert_order = expert_order_.data();
    }
    if (moe_kernels::overlap_gate_up_and_down(g.intermediate, rows_per_expert)) {
      row_block_done_.resize(tiled_max_row_blocks(g));  // one count per row block
      args_.routing.row_block_done = row_block_done_.data();
    }
    attach_tiled_timeline(tile_timeline_, g, args_);
    args_.geometry = g;
  }

  // The decode kernel's workspace: h, the f32 partial sums of gate/up and of the output, which the
  // kernel leaves zero, and its counters (moe_kernels::DecodeCounters).
  void size_decode_workspace() override {
    const MoeGeometry& g = geometry_;
    log_verbose("fused T={}: the decode kernel (every SM streams an equal share of each GEMM's K steps){}",
                g.num_tokens, decode_finish_note());
    const std::uint64_t pairs = g.max_pairs();
    h_.resize(pairs * g.intermediate_stride());
    MOE_CUDA_CHECK(moe_kernels::make_tensor_map_2d(&decode_args_.h_map, h_.data(), pairs, g.intermediate,
                                                   g.intermediate_stride(), moe_kernels::kDecodeMaxTokens));
    gate_up_partial_.resize(pairs * 2 * g.gate_up_tiles() * moe_kernels::kGateUpBlock);
    out_partial_.resize(static_cast<std::size_t>(g.num_tokens) * g.hidden);
    const moe_kernels::DecodeCounters counters{g.local_experts, g.gate_up_tiles(), g.down_tiles()};
    decode_counters_.resize(static_cast<std::size_t>(counters.size()));
    MOE_CUDA_CHECK(moe_kernels::fused_moe_decode_max_ctas(context_.device, &decode_ctas_));
    attach_decode_timeline(tile_timeline_, g, decode_ctas_, moe_kernels::kBlockK, decode_args_);
    decode_args_.x = x_.data();
    decode_args_.logits = logits_.data();
    decode_args_.h = h_.data();
    decode_args_.gate_up_partial = gate_up_partial_.data();
    decode_args_.out_partial = out_partial_.data();
    decode_args_.counters = decode_counters_.data();
    decode_args_.out = out_.data();
    decode_args_.geometry = g;
    decode_args_.finish = decode_finish();
    decode_args_.prefetch_down_steps = decode_prefetch_steps();
    if (decode_args_.prefetch_down_steps > 0)
      log_verbose("fused T={}: each CTA prefetches its first {} down steps' weights into L2 (MOEBENCH_DECODE_PREFETCH)",
                  g.num_tokens, decode_args_.prefetch_down_steps);
  }

  // MOEBENCH_DECODE_PREFETCH=n: the decode kernel's CTAs prefetch their first n down K steps'
  // weights into L2 once their gate/up loads are issued (launch.hpp); unset or not a positive
  // number: none.
  static int decode_prefetch_steps() {
    const char* setting = std::getenv("MOEBENCH_DECODE_PREFETCH");
    if (setting == nullptr) return 0;
    char* end = nullptr;
    const long steps = std::strtol(setting, &end, 10);
    return *end == '\0' && steps > 0 ? static_cast<int>(std::min(steps, 1024L)) : 0;
  }

  DeviceWeights weights_;
  DeviceBuffer<__nv_bfloat16> h_, y_;
  DeviceBuffer<std::int32_t> expert_order_;
};

}  // namespace

std::unique_ptr<MoeImplementation> make_single_gpu_fused(const CudaContext& context, const Problem& problem,
                                                         const EpWeights& weights) {
  if (problem.dtype == WeightDtype::kFp8Block128) return make_single_gpu_fused_fp8(context, problem, weights);
  return std::make_unique<SingleGpuFused>(context, problem, weights);
}

double single_gpu_fused_bytes(const Problem& problem, std::int64_t num_tokens) {
  const MoeShape& s = problem.shape;
  const double E = static_cast<double>(s.num_experts), H = static_cast<double>(s.hidden_size);
  const double I = static_cast<double>(s.intermediate_size), T = static_cast<double>(num_tokens);
  const double pairs = T * static_cast<double>(s.top_k);
  const double Hs = (H + 7) / 8 * 8, Is = (I + 7) / 8 * 8, Ip = (I + 127) / 128 * 128;
  if (problem.dtype == WeightDtype::kFp8Block128) {
    // A byte per weight and an f32 scale per 128 x 128 block; x's e4m3 rows, and their copy in
    // expert order (pairs of them); h's codes and scales; y in bf16 (tiled kernel) or the decode
    // kernel's f32 partial sums (up to 64 tokens).
    const double Hb = std::ceil(H / 128), Ib = std::ceil(I / 128), H16 = std::ceil(H / 16) * 16;
    const double I16 = std::ceil(I / 16) * 16;
    const double weights = E * 2 * Ip * H16 + E * H * I16 + 4.0 * 3 * E * Hb * Ib;
    const double activations =
        T * (H16 + 4 * Hb + 16) + pairs * (H16 + 4 * Hb) + pairs * (I16 + 4 * Ib) + 2.0 * pairs * Hs;
    const double decode = T <= moe_kernels::kDecodeMaxTokens ? 4.0 * (pairs * 2 * Ip + T * H) : 0.0;
    return weights + activations + decode + 2.0 * (T * Hs + T * H) + 4.0 * T * E + 24.0 * pairs;
  }
  const double weights = 2.0 * (E * 2 * Ip * Hs + E * H * Is);
  const double buffers = 2.0 * (T * Hs + T * H + pairs * (Is + Hs)) + 4.0 * T * E + 24.0 * pairs;
  // The decode kernel's f32 partial sums (moe_kernels::use_decode_kernel: up to 64 tokens).
  const double decode = T <= moe_kernels::kDecodeMaxTokens ? 4.0 * (pairs * 2 * Ip + T * H) : 0.0;
  return weights + buffers + decode;
}

}  // namespace moebench::cuda
