// Quantization of the EP-format weights, one 128 x 128 block at a time.
#include "core/fp8_weights.hpp"

#include <algorithm>
#include <cmath>

namespace moebench {

namespace {

// Block (nb, kb) of expert e: its scale from the bf16 values it covers, then their codes.
void quantize_block(std::span<const bf16_bits> values, Fp8Projection& p, std::int64_t e, std::int64_t kb,
                    std::int64_t nb) {
  const std::int64_t k_end = std::min(p.rows, (kb + 1) * kFp8BlockSize);
  const std::int64_t n_end = std::min(p.cols, (nb + 1) * kFp8BlockSize);
  auto at = [&](std::int64_t k, std::int64_t n) { return static_cast<std::size_t>((e * p.rows + k) * p.cols + n); };
  float amax = 0.0f;
  for (std::int64_t k = kb * kFp8BlockSize; k < k_end; ++k)
    for (std::int64_t n = nb * kFp8BlockSize; n < n_end; ++n)
      amax = std::max(amax, std::fabs(bf16_to_float(values[at(k, n)])));
  const float scale = fp8_scale(amax);
  p.scales[static_cast<std::size_t>((e * p.col_blocks() + nb) * p.row_blocks() + kb)] = scale;
  for (std::int64_t k = kb * kFp8BlockSize; k < k_end; ++k)
    for (std::int64_t n = nb * kFp8BlockSize; n < n_end; ++n)
      p.codes[at(k, n)] = fp8_quantize(bf16_to_float(values[at(k, n)]), scale);
}

Fp8Projection quantize_projection(std::span<const bf16_bits> values, std::int64_t experts, std::int64_t rows,
                                  std::int64_t cols) {
  Fp8Projection p;
  p.num_experts = experts;
  p.rows = rows;
  p.cols = cols;
  p.codes.resize(values.size());
  p.scales.resize(static_cast<std::size_t>(experts * p.row_blocks() * p.col_blocks()));
  const std::int64_t row_blocks = p.row_blocks(), col_blocks = p.col_blocks();
#pragma omp parallel for collapse(2) schedule(static)
  for (std::int64_t e = 0; e < experts; ++e)
    for (std::int64_t kb = 0; kb < row_blocks; ++kb)
      for (std::int64_t nb = 0; nb < col_blocks; ++nb) quantize_block(values, p, e, kb, nb);
  return p;
}

}  // namespace

Fp8EpWeights quantize_ep_weights(const EpWeights& w) {
  Fp8EpWeights q;
  q.num_experts = w.num_experts;
  q.hidden = w.hidden;
  q.intermediate = w.intermediate;
  q.gate = quantize_projection(w.wi_0, w.num_experts, w.hidden, w.intermediate);
  q.up = quantize_projection(w.wi_1, w.num_experts, w.hidden, w.intermediate);
  q.down = quantize_projection(w.wo, w.num_experts, w.intermediate, w.hidden);
  return q;
}

}  // namespace moebench
