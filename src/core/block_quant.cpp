// Scales and the activation groups' quantization.
#include "core/block_quant.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace moebench {

float fp8_scale(float amax) {
  if (amax == 0.0f) return 1.0f;
  return std::max(amax / kE4m3Max, std::numeric_limits<float>::min());
}

namespace {

// amax of one group; NaN does not count (a NaN value quantizes to the NaN code on its own).
float group_amax(std::span<const float> group) {
  float amax = 0.0f;
  for (float v : group) amax = std::max(amax, std::fabs(v));
  return amax;
}

}  // namespace

void quantize_row(std::span<const float> row, std::span<e4m3_bits> codes, std::span<float> scales) {
  const auto n = static_cast<std::int64_t>(row.size());
  for (std::int64_t g = 0; g < fp8_blocks(n); ++g) {
    const std::int64_t first = g * kFp8BlockSize, count = std::min(kFp8BlockSize, n - first);
    const auto group = row.subspan(static_cast<std::size_t>(first), static_cast<std::size_t>(count));
    const float scale = fp8_scale(group_amax(group));
    scales[static_cast<std::size_t>(g)] = scale;
    for (std::int64_t c = first; c < first + count; ++c)
      codes[static_cast<std::size_t>(c)] = fp8_quantize(row[static_cast<std::size_t>(c)], scale);
  }
}

void dequantize_row(std::span<const e4m3_bits> codes, std::span<const float> scales, std::span<float> out) {
  for (std::size_t c = 0; c < codes.size(); ++c)
    out[c] = fp8_dequantize(codes[c], scales[c / static_cast<std::size_t>(kFp8BlockSize)]);
}

void quantize_dequantize_row(std::span<float> row) {
  const auto n = static_cast<std::int64_t>(row.size());
  for (std::int64_t first = 0; first < n; first += kFp8BlockSize) {
    const auto group =
        row.subspan(static_cast<std::size_t>(first), static_cast<std::size_t>(std::min(kFp8BlockSize, n - first)));
    const float scale = fp8_scale(group_amax(group));
    for (float& v : group) v = fp8_dequantize(fp8_quantize(v, scale), scale);
  }
}

}  // namespace moebench
