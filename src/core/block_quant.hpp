// Block-scaled FP8 (docs/fp8.md): the scales, and the activations' 1 x 128 groups. A block or group
// of values v gets s = amax(|v|) / 448 and codes q = round_e4m3(v / s), and stands for q * s.
#pragma once

#include <cstdint>
#include <span>

#include "core/fp8.hpp"

namespace moebench {

// Channels per activation group, and the side of a square weight block.
inline constexpr std::int64_t kFp8BlockSize = 128;

// Blocks (or groups) covering `n` values: the last one holds the remainder when 128 does not divide n.
constexpr std::int64_t fp8_blocks(std::int64_t n) { return (n + kFp8BlockSize - 1) / kFp8BlockSize; }

// s = amax / 448 in f32 (a correctly rounded division). An all-zero block gets 1: its codes are 0
// whatever s is, and 1 keeps q * s and v / s free of NaN. An amax so small that s would be a
// subnormal float (below 448 * 2^-126) gets s = 2^-126, the smallest normal float: a GPU that
// flushes subnormals to zero would otherwise divide by 0.
float fp8_scale(float amax);

// round_e4m3(value / scale), the division in f32.
inline e4m3_bits fp8_quantize(float value, float scale) { return float_to_e4m3(value / scale); }

// The value a code stands for in f32: e4m3 * scale, rounded once (the e4m3 value is exact in f32).
inline float fp8_dequantize(e4m3_bits code, float scale) { return e4m3_to_float(code) * scale; }

// One activation row (a token's x, or its h) quantized per 128 channels: `codes` as long as the
// row, one scale per group in `scales` (fp8_blocks(row.size()) of them). A last group shorter than
// 128 takes its scale from the values it has.
void quantize_row(std::span<const float> row, std::span<e4m3_bits> codes, std::span<float> scales);

// The values a quantized row stands for.
void dequantize_row(std::span<const e4m3_bits> codes, std::span<const float> scales, std::span<float> out);

// Both in place: each value becomes the one its code and group scale stand for. What a GEMM that
// reads the quantized row computes with.
void quantize_dequantize_row(std::span<float> row);

}  // namespace moebench
