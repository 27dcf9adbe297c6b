// Block-scaled FP8 on the device, bit for bit what the host computes (src/core/block_quant.hpp,
// docs/fp8.md): a group of 128 channels gets s = amax / 448 (1 for an all-zero group, never below
// the smallest normal float) and codes round_e4m3(v / s), both divisions correctly rounded.
#pragma once

#include <cstdint>
#include <cuda_bf16.h>
#include <cuda_fp8.h>

#include "moe_kernels/moe_types.hpp"

namespace moe_kernels::fp8 {

constexpr float kE4m3Max = 448.0f;
constexpr float kSmallestNormal = 1.17549435e-38f;  // FLT_MIN

__device__ __forceinline__ float group_scale(float amax) {
  if (amax == 0.0f) return 1.0f;
  return fmaxf(__fdiv_rn(amax, kE4m3Max), kSmallestNormal);
}

// Round to nearest even, saturating at +-448; NaN only from NaN.
__device__ __forceinline__ std::uint32_t quantize(float value, float scale) {
  return static_cast<std::uint32_t>(__nv_cvt_float_to_fp8(__fdiv_rn(value, scale), __NV_SATFINITE, __NV_E4M3));
}

// Largest |v| among the four lanes of a quad (the lanes that hold one row of a wgmma accumulator).
__device__ __forceinline__ float quad_max(float value) {
  value = fmaxf(value, __shfl_xor_sync(0xffffffffu, value, 1));
  return fmaxf(value, __shfl_xor_sync(0xffffffffu, value, 2));
}

// One warp quantizes one group of 128 values, lane l holding channels 4l to 4l + 3 (`first`: the
// column of its first in the row; zeros past the row's width): the warp's amax, codes at codes +
// first (none from codes_bytes, a multiple of 16, on), and lane 0 writes the scale.
__device__ __forceinline__ void quantize_values_warp(const float (&values)[4], int first, std::uint8_t* codes,
                                                     int codes_bytes, float* scale, int lane) {
  float amax = 0.0f;
#pragma unroll
  for (int j = 0; j < 4; ++j) amax = fmaxf(amax, fabsf(values[j]));
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, offset));
  const float s = group_scale(amax);
  if (first < codes_bytes) {
    std::uint32_t packed = 0;
#pragma unroll
    for (int j = 0; j < 4; ++j) packed |= quantize(values[j], s) << (8 * j);
    *reinterpret_cast<std::uint32_t*>(codes + first) = packed;
  }
  if (lane == 0) *scale = s;
}

// One warp quantizes group `group` of a bf16 row of `width` channels, each lane 4 consecutive
// channels (quantize_values_warp); channels from `width` on get code 0, so a row's padding reads
// as zeros.
__device__ __forceinline__ void quantize_group_warp(const __nv_bfloat16* row, int width, int group, std::uint8_t* codes,
                                                    int codes_bytes, float* scale, int lane) {
  const int first = group * kFp8Group + 4 * lane;
  float values[4];
#pragma unroll
  for (int j = 0; j < 4; ++j) values[j] = first + j < width ? __bfloat162float(row[first + j]) : 0.0f;
  quantize_values_warp(values, first, codes, codes_bytes, scale, lane);
}

}  // namespace moe_kernels::fp8
