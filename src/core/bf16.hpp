// bf16 storage on the host: the bit layout of CUDA's __nv_bfloat16, rounding to nearest even.
#pragma once

#include <bit>
#include <cstdint>
#include <span>

namespace moebench {

using bf16_bits = std::uint16_t;

inline bf16_bits float_to_bf16(float value) {
  std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<bf16_bits>((bits >> 16) | 0x40u);  // quiet NaN
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<bf16_bits>(bits >> 16);
}

inline float bf16_to_float(bf16_bits value) { return std::bit_cast<float>(static_cast<std::uint32_t>(value) << 16); }

// The float a value becomes once stored as bf16: what every bf16 tensor holds.
inline float round_to_bf16(float value) { return bf16_to_float(float_to_bf16(value)); }

void bf16_to_float(std::span<const bf16_bits> in, std::span<float> out);

}  // namespace moebench
