// Quantization of the EP-format weights, one 128 x 128 block at a time.
#include "core/fp8_weights.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <stdexcept>

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

// Experts `experts`, reduction rows `rows` and columns `cols` of p, each range on block bounds.
Fp8Projection slice_projection(const Fp8Projection& p, Range experts, Range rows, Range cols) {
  Fp8Projection s;
  s.num_experts = experts.size();
  s.rows = rows.size();
  s.cols = cols.size();
  s.codes.resize(static_cast<std::size_t>(s.num_experts * s.rows * s.cols));
  for (std::int64_t e = 0; e < s.num_experts; ++e)
    for (std::int64_t k = 0; k < s.rows; ++k) {
      const auto* from = p.codes.data() + ((experts.begin + e) * p.rows + rows.begin + k) * p.cols + cols.begin;
      std::copy_n(from, s.cols, s.codes.data() + (e * s.rows + k) * s.cols);
    }
  const std::int64_t first_row_block = rows.begin / kFp8BlockSize, first_col_block = cols.begin / kFp8BlockSize;
  s.scales.resize(static_cast<std::size_t>(s.num_experts * s.row_blocks() * s.col_blocks()));
  for (std::int64_t e = 0; e < s.num_experts; ++e)
    for (std::int64_t nb = 0; nb < s.col_blocks(); ++nb)
      for (std::int64_t kb = 0; kb < s.row_blocks(); ++kb)
        s.scales[static_cast<std::size_t>((e * s.col_blocks() + nb) * s.row_blocks() + kb)] =
            p.scales[static_cast<std::size_t>(
                ((experts.begin + e) * p.col_blocks() + first_col_block + nb) * p.row_blocks() + first_row_block + kb)];
  return s;
}

bool on_block_bounds(Range r, std::int64_t total) {
  return r.begin >= 0 && r.begin <= r.end && r.end <= total && r.begin % kFp8BlockSize == 0 &&
         (r.end % kFp8BlockSize == 0 || r.end == total);
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

Fp8EpWeights slice_fp8_weights(const Fp8EpWeights& w, Range experts, Range intermediate) {
  if (experts.begin < 0 || experts.begin > experts.end || experts.end > w.num_experts ||
      !on_block_bounds(intermediate, w.intermediate))
    throw std::invalid_argument(
        fmt::format("fp8 weights: experts [{}, {}) and intermediate columns [{}, {}) are not "
                    "a slice of whole 128 x 128 blocks of {} experts and {} columns",
                    experts.begin, experts.end, intermediate.begin, intermediate.end, w.num_experts, w.intermediate));
  const Range hidden{0, w.hidden};
  Fp8EpWeights s;
  s.num_experts = experts.size();
  s.hidden = w.hidden;
  s.intermediate = intermediate.size();
  s.gate = slice_projection(w.gate, experts, hidden, intermediate);
  s.up = slice_projection(w.up, experts, hidden, intermediate);
  s.down = slice_projection(w.down, experts, intermediate, hidden);
  return s;
}

}  // namespace moebench
