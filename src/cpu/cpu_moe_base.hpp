// State both CPU paths share: the problem, its mesh, and one case's inputs and output in f32; for
// fp8, the quantization of x that both paths start their iteration with.
#pragma once

#include <algorithm>
#include <limits>
#include <vector>

#include "backend/implementation.hpp"
#include "core/bf16.hpp"
#include "core/block_quant.hpp"
#include "core/errors.hpp"
#include "core/mesh.hpp"

namespace moebench::cpu {

class CpuMoeBase : public MoeImplementation {
 public:
  explicit CpuMoeBase(const Problem& problem) : problem_(problem), mesh_(problem.mesh()) {
    if (const std::string why = dtype_layout_problem(problem); !why.empty()) throw UsageError(why);
  }

  void prepare(const CaseInputs& inputs) override {
    num_tokens_ = inputs.bench_case.num_tokens;
    hidden_.resize(inputs.hidden_states.size());
    bf16_to_float(inputs.hidden_states, hidden_);
    logits_ = inputs.router_logits;
    output_.assign(static_cast<std::size_t>(num_tokens_ * problem_.shape.hidden_size), 0.0f);
    if (fp8()) {
      x_codes_.resize(hidden_.size());
      x_scales_.resize(static_cast<std::size_t>(num_tokens_ * x_groups()));
    }
  }

  std::vector<float> output() override { return output_; }
  void poison_output() override { std::fill(output_.begin(), output_.end(), std::numeric_limits<float>::quiet_NaN()); }

 protected:
  std::int64_t H() const { return problem_.shape.hidden_size; }
  std::int64_t E() const { return problem_.shape.num_experts; }
  int k() const { return static_cast<int>(problem_.shape.top_k); }
  bool fp8() const { return problem_.dtype == WeightDtype::kFp8Block128; }
  std::int64_t x_groups() const { return fp8_blocks(H()); }

  // fp8: x per token per 128 channels, each device quantizing the tokens it owns, at the start of
  // the timed iteration (the layer's own work, as on the GPU).
  void quantize_hidden() {
#pragma omp parallel for schedule(static)
    for (std::int64_t t = 0; t < num_tokens_; ++t) {
      quantize_row(
          std::span(hidden_).subspan(static_cast<std::size_t>(t * H()), static_cast<std::size_t>(H())),
          std::span(x_codes_).subspan(static_cast<std::size_t>(t * H()), static_cast<std::size_t>(H())),
          std::span(x_scales_).subspan(static_cast<std::size_t>(t * x_groups()), static_cast<std::size_t>(x_groups())));
    }
  }

  // Token t's x as a GEMM reads it, into `out` (H values): bf16 values, or fp8 codes * group scales.
  void read_x(std::int64_t t, float* out) const {
    if (!fp8()) {
      std::copy_n(hidden_.data() + t * H(), H(), out);
      return;
    }
    dequantize_row(
        std::span(x_codes_).subspan(static_cast<std::size_t>(t * H()), static_cast<std::size_t>(H())),
        std::span(x_scales_).subspan(static_cast<std::size_t>(t * x_groups()), static_cast<std::size_t>(x_groups())),
        std::span(out, static_cast<std::size_t>(H())));
  }

  // fp8: the activation's output, one row of `width` channels per (token, slot), quantized per 128
  // channels in place before the down GEMM. A device's slice starts on a group boundary
  // (dtype_layout_problem), so its groups are the whole layer's.
  void quantize_activations(std::vector<float>& act, std::int64_t width) const {
    if (!fp8()) return;
    const auto rows = static_cast<std::int64_t>(act.size()) / std::max<std::int64_t>(width, 1);
#pragma omp parallel for schedule(static)
    for (std::int64_t r = 0; r < rows; ++r)
      quantize_dequantize_row(
          std::span(act).subspan(static_cast<std::size_t>(r * width), static_cast<std::size_t>(width)));
  }

  Problem problem_;
  DeviceMesh mesh_;
  std::int64_t num_tokens_ = 0;
  // Global arrays; device d reads and writes only its token rows mesh_.token_range(T, d),
  // except where the algorithm says it communicates.
  std::vector<float> hidden_;  // (T, H), bf16 values
  std::vector<float> logits_;  // (T, E)
  std::vector<float> output_;  // (T, H)
  // fp8: x quantized, (T, H) codes and (T, ceil(H / 128)) scales.
  std::vector<e4m3_bits> x_codes_;
  std::vector<float> x_scales_;
};

}  // namespace moebench::cpu
