// float -> e4m3 on the float's bits: no table and no floating-point rounding mode involved, so the
// result is the same under any compiler flags.
#include "core/fp8.hpp"

#include <bit>

namespace moebench {

namespace {

// Drops the low `shift` bits of `value`, rounding to nearest, ties to the even result.
std::uint32_t shift_round_even(std::uint32_t value, int shift) {
  const std::uint32_t kept = value >> shift;
  const std::uint32_t rest = value & ((1u << shift) - 1u);
  const std::uint32_t half = 1u << (shift - 1);
  return kept + ((rest > half || (rest == half && (kept & 1u))) ? 1u : 0u);
}

}  // namespace

e4m3_bits float_to_e4m3(float value) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  const auto sign = static_cast<e4m3_bits>((bits >> 24) & 0x80u);
  const std::uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude > 0x7f800000u) return sign | kE4m3NaN;
  constexpr e4m3_bits kMaxCode = 0x7e;  // 448
  const int exponent = static_cast<int>(magnitude >> 23) - 127;
  if (exponent > 8) return sign | kMaxCode;  // beyond 2^9 (infinity too): saturate
  std::uint32_t code = 0;
  if (exponent >= -6) {
    // Normal e4m3: exponent field e + 7, then the float's 23 mantissa bits rounded to 3. A carry out
    // of the mantissa lands in the exponent field, which is the next code up: codes are ordered.
    const auto fields = (static_cast<std::uint32_t>(exponent + 7) << 23) | (magnitude & 0x7fffffu);
    code = shift_round_even(fields, 20);
  } else {
    // Subnormal e4m3 (and zero): a multiple of 2^-9. The float's significand, with its implicit 1
    // where it has one, shifted to units of 2^-9; 8 units round up into the smallest normal, 0x08.
    const std::uint32_t significand = (magnitude & 0x7fffffu) | (exponent > -127 ? 0x800000u : 0u);
    // The value is significand * 2^(max(exponent, -126) - 23), in units of 2^-9: a right shift by
    // -9 - (max(exponent, -126) - 23) = 14 - max(exponent, -126) bits (at least 21 here).
    const int shift = 14 - (exponent > -127 ? exponent : -126);
    code = shift >= 32 ? 0u : shift_round_even(significand, shift);
  }
  return sign | static_cast<e4m3_bits>(code > kMaxCode ? kMaxCode : code);
}

}  // namespace moebench
