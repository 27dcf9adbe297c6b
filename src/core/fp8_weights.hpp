// The expert weights in block-scaled FP8 (docs/fp8.md): the run's bf16 EP-format weights quantized
// in 128 x 128 blocks, as a DeepSeek-V3-style checkpoint stores them.
#pragma once

#include <cstdint>
#include <vector>

#include "core/block_quant.hpp"
#include "core/mesh.hpp"
#include "core/weights.hpp"

namespace moebench {

// One projection of every expert, a (K, N) matrix each (K the GEMM's reduction dimension):
// - codes: e4m3, (E, K, N) row-major: the EP format's own layout (wi_0, wi_1: K = H, N = I;
//   wo: K = I, N = H), so the format conversions that apply to the bf16 weights apply here;
// - scales: f32, (E, ceil(N/128), ceil(K/128)) row-major: a checkpoint's weight_scale_inv of the
//   (out = N, in = K) weight, which is also how a GEMM reading B K-major walks its blocks.
// Block (nb, kb) covers k in [128 kb, 128 kb + 128) and n in [128 nb, 128 nb + 128), cut short at
// K and N: a last block row or column narrower than 128 is scaled by the values it has.
struct Fp8Projection {
  std::int64_t num_experts = 0, rows = 0, cols = 0;  // E, K, N
  std::vector<e4m3_bits> codes;
  std::vector<float> scales;

  std::int64_t row_blocks() const { return fp8_blocks(rows); }
  std::int64_t col_blocks() const { return fp8_blocks(cols); }
  e4m3_bits code(std::int64_t e, std::int64_t k, std::int64_t n) const {
    return codes[static_cast<std::size_t>((e * rows + k) * cols + n)];
  }
  float scale(std::int64_t e, std::int64_t k, std::int64_t n) const {
    const std::int64_t kb = k / kFp8BlockSize, nb = n / kFp8BlockSize;
    return scales[static_cast<std::size_t>((e * col_blocks() + nb) * row_blocks() + kb)];
  }
  // code * scale, rounded to f32 once.
  float value(std::int64_t e, std::int64_t k, std::int64_t n) const {
    return fp8_dequantize(code(e, k, n), scale(e, k, n));
  }
};

struct Fp8EpWeights {
  std::int64_t num_experts = 0, hidden = 0, intermediate = 0;
  Fp8Projection gate, up, down;  // (E, H, I), (E, H, I), (E, I, H), as EpWeights
};

// Each block: s = amax / 448 over its bf16 values, codes round_e4m3(w / s).
Fp8EpWeights quantize_ep_weights(const EpWeights& weights);

// The experts and intermediate columns one device of EP x TP holds (mesh.hpp's ranges), codes and
// block scales, experts and columns renumbered from 0. The slice is whole 128 x 128 blocks: its
// intermediate columns start at a multiple of 128 and end at one or at intermediate
// (dtype_layout_problem refuses a layout that splits a block); anything else throws.
Fp8EpWeights slice_fp8_weights(const Fp8EpWeights& weights, Range experts, Range intermediate);

}  // namespace moebench
