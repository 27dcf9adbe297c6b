// One expert's weights in f32, from bf16 or from fp8 codes and scales.
#include "cpu/cpu_weights.hpp"

namespace moebench::cpu {

namespace {

std::vector<float> bf16_matrix(const std::vector<bf16_bits>& all, std::int64_t e, std::int64_t size) {
  std::vector<float> out(static_cast<std::size_t>(size));
  bf16_to_float(std::span(all).subspan(static_cast<std::size_t>(e * size), out.size()), out);
  return out;
}

std::vector<float> fp8_matrix(const Fp8Projection& p, std::int64_t e) {
  std::vector<float> out(static_cast<std::size_t>(p.rows * p.cols));
  for (std::int64_t k = 0; k < p.rows; ++k)
    for (std::int64_t n = 0; n < p.cols; ++n) out[static_cast<std::size_t>(k * p.cols + n)] = p.value(e, k, n);
  return out;
}

}  // namespace

ExpertWeights::ExpertWeights(const EpWeights& weights, WeightDtype dtype) : bf16_(weights) {
  if (dtype == WeightDtype::kFp8Block128) fp8_ = quantize_ep_weights(weights);
}

ExpertMatrices ExpertWeights::expert(std::int64_t e) const {
  if (fp8_) return {fp8_matrix(fp8_->gate, e), fp8_matrix(fp8_->up, e), fp8_matrix(fp8_->down, e)};
  const std::int64_t size = bf16_.hidden * bf16_.intermediate;
  return {bf16_matrix(bf16_.wi_0, e, size), bf16_matrix(bf16_.wi_1, e, size), bf16_matrix(bf16_.wo, e, size)};
}

}  // namespace moebench::cpu
