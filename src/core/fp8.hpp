// FP8 e4m3 on the host: the bit layout of CUDA's __nv_fp8_e4m3 (OCP "e4m3fn": bias 7, no
// infinities, 0x7f/0xff the only NaNs), converted as __nv_cvt_float_to_fp8(x, __NV_SATFINITE,
// __NV_E4M3) does: round to nearest even, finite values beyond 448 (and infinities) saturate to
// +-448, NaN stays NaN. So the CPU backend and the reference hold exactly the values the GPU does.
#pragma once

#include <array>
#include <cstdint>

namespace moebench {

using e4m3_bits = std::uint8_t;

inline constexpr float kE4m3Max = 448.0f;                 // 1.75 * 2^8, code 0x7e
inline constexpr float kE4m3MinNormal = 0.015625f;        // 2^-6, code 0x08
inline constexpr float kE4m3MinSubnormal = 0.001953125f;  // 2^-9, code 0x01
inline constexpr e4m3_bits kE4m3NaN = 0x7f;

// Round to nearest even, saturating: never NaN unless `value` is NaN. -0 and negatives that round
// to zero give 0x80.
e4m3_bits float_to_e4m3(float value);

namespace detail {
// 2^exponent as a float, for the decode table (std::ldexp is not constexpr).
constexpr float power_of_two(int exponent) {
  float p = 1.0f;
  for (int i = 0; i < exponent; ++i) p *= 2.0f;
  for (int i = 0; i > exponent; --i) p *= 0.5f;
  return p;
}

// The value of a code: subnormal m * 2^-9, normal (8 + m) * 2^(e - 10), e4m3fn's one NaN pattern.
constexpr float e4m3_value(unsigned code) {
  const float sign = (code & 0x80u) ? -1.0f : 1.0f;
  const unsigned exponent = (code >> 3) & 0xfu, mantissa = code & 7u;
  if (exponent == 15 && mantissa == 7) return __builtin_nanf("");
  if (exponent == 0) return sign * static_cast<float>(mantissa) * power_of_two(-9);
  return sign * static_cast<float>(8 + mantissa) * power_of_two(static_cast<int>(exponent) - 10);
}

constexpr std::array<float, 256> make_e4m3_table() {
  std::array<float, 256> table{};
  for (unsigned code = 0; code < 256; ++code) table[code] = e4m3_value(code);
  return table;
}

inline constexpr std::array<float, 256> kE4m3Values = make_e4m3_table();
}  // namespace detail

// Exact: every e4m3 value is a float.
inline float e4m3_to_float(e4m3_bits code) { return detail::kE4m3Values[code]; }

}  // namespace moebench
