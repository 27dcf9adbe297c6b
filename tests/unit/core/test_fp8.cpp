// e4m3 conversion: against a brute-force nearest search, and at every edge the format has (ties,
// saturation, subnormals, signed zero, NaN).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "core/fp8.hpp"

namespace moebench {
namespace {

bool is_nan_code(e4m3_bits code) { return (code & 0x7f) == 0x7f; }

// The code a correct conversion picks, found the slow way: the nearest finite value in double,
// ties to the even code, beyond 448 the largest.
e4m3_bits nearest_code(float value) {
  const double v = value;
  const auto sign = static_cast<e4m3_bits>(std::signbit(value) ? 0x80 : 0x00);
  const double magnitude = std::fabs(v);
  if (magnitude >= 448.0) return sign | 0x7e;
  e4m3_bits best = 0;
  double best_distance = std::numeric_limits<double>::infinity();
  for (unsigned code = 0; code <= 0x7e; ++code) {
    const double distance = std::fabs(static_cast<double>(e4m3_to_float(static_cast<e4m3_bits>(code))) - magnitude);
    if (distance < best_distance || (distance == best_distance && code % 2 == 0)) {
      best = static_cast<e4m3_bits>(code);
      best_distance = distance;
    }
  }
  return sign | best;
}

TEST(Fp8, DecodesTheFormatsLandmarks) {
  EXPECT_EQ(e4m3_to_float(0x00), 0.0f);
  EXPECT_EQ(e4m3_to_float(0x01), std::ldexp(1.0f, -9));  // smallest subnormal
  EXPECT_EQ(e4m3_to_float(0x07), 7 * std::ldexp(1.0f, -9));
  EXPECT_EQ(e4m3_to_float(0x08), std::ldexp(1.0f, -6));  // smallest normal
  EXPECT_EQ(e4m3_to_float(0x38), 1.0f);
  EXPECT_EQ(e4m3_to_float(0x7e), 448.0f);
  EXPECT_EQ(e4m3_to_float(0xfe), -448.0f);
  EXPECT_TRUE(std::isnan(e4m3_to_float(0x7f)));
  EXPECT_TRUE(std::isnan(e4m3_to_float(0xff)));
  EXPECT_EQ(e4m3_to_float(0x80), 0.0f);
  EXPECT_TRUE(std::signbit(e4m3_to_float(0x80)));
  EXPECT_EQ(kE4m3Max, e4m3_to_float(0x7e));
  EXPECT_EQ(kE4m3MinNormal, e4m3_to_float(0x08));
  EXPECT_EQ(kE4m3MinSubnormal, e4m3_to_float(0x01));
}

TEST(Fp8, EveryFiniteCodeRoundTrips) {
  for (unsigned code = 0; code < 256; ++code) {
    const auto c = static_cast<e4m3_bits>(code);
    if (is_nan_code(c)) continue;
    EXPECT_EQ(float_to_e4m3(e4m3_to_float(c)), c) << "code " << code;
  }
}

TEST(Fp8, TiesBetweenNeighboursGoToTheEvenCode) {
  for (unsigned code = 0; code < 0x7e; ++code) {
    const float low = e4m3_to_float(static_cast<e4m3_bits>(code));
    const float high = e4m3_to_float(static_cast<e4m3_bits>(code + 1));
    const float middle = (low + high) / 2;  // exact: the two differ in few bits
    const auto even = static_cast<e4m3_bits>(code % 2 == 0 ? code : code + 1);
    EXPECT_EQ(float_to_e4m3(middle), even) << "between codes " << code << " and " << code + 1;
    EXPECT_EQ(float_to_e4m3(-middle), even | 0x80);
    EXPECT_EQ(float_to_e4m3(std::nextafter(middle, 0.0f)), code);
    EXPECT_EQ(float_to_e4m3(std::nextafter(middle, 1e9f)), code + 1);
  }
}

TEST(Fp8, SaturatesInsteadOfOverflowing) {
  for (float v : {448.0f, 449.0f, 463.9f, 464.0f, 470.0f, 480.0f, 512.0f, 1e6f, 3e38f,
                  std::numeric_limits<float>::max(), std::numeric_limits<float>::infinity()}) {
    EXPECT_EQ(float_to_e4m3(v), 0x7e) << v;
    EXPECT_EQ(float_to_e4m3(-v), 0xfe) << -v;
  }
}

TEST(Fp8, SubnormalsAndTheirEdges) {
  const float unit = std::ldexp(1.0f, -9);
  EXPECT_EQ(float_to_e4m3(unit), 0x01);
  EXPECT_EQ(float_to_e4m3(unit / 2), 0x00);  // a tie between 0 and 2^-9: 0 is even
  EXPECT_EQ(float_to_e4m3(std::nextafter(unit / 2, 1.0f)), 0x01);
  EXPECT_EQ(float_to_e4m3(1.5f * unit), 0x02);  // a tie between codes 1 and 2
  EXPECT_EQ(float_to_e4m3(7.5f * unit), 0x08);  // the largest subnormal rounds up into the smallest normal
  EXPECT_EQ(float_to_e4m3(std::numeric_limits<float>::denorm_min()), 0x00);
  EXPECT_EQ(float_to_e4m3(std::numeric_limits<float>::min()), 0x00);
  EXPECT_EQ(float_to_e4m3(-unit / 4), 0x80);  // rounds to zero, keeps its sign
}

TEST(Fp8, SignedZeroAndNaN) {
  EXPECT_EQ(float_to_e4m3(0.0f), 0x00);
  EXPECT_EQ(float_to_e4m3(-0.0f), 0x80);
  EXPECT_TRUE(is_nan_code(float_to_e4m3(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_TRUE(is_nan_code(float_to_e4m3(-std::numeric_limits<float>::quiet_NaN())));
}

TEST(Fp8, MatchesANearestSearchAcrossTheFloats) {
  // Every 65521st bit pattern, both signs, every exponent: no NaN from a number, and the nearest code.
  for (std::uint64_t bits = 0; bits <= 0xffffffffu; bits += 65521) {
    const float v = std::bit_cast<float>(static_cast<std::uint32_t>(bits));
    if (std::isnan(v)) continue;
    const e4m3_bits code = float_to_e4m3(v);
    ASSERT_FALSE(is_nan_code(code)) << v;
    ASSERT_EQ(code, nearest_code(v)) << v << " (bits " << bits << ")";
  }
  // Dense where the codes are: [2^-11, 512).
  for (float v = std::ldexp(1.0f, -11); v < 512.0f; v *= 1.0009765625f) {
    ASSERT_EQ(float_to_e4m3(v), nearest_code(v)) << v;
    ASSERT_EQ(float_to_e4m3(-v), nearest_code(-v)) << -v;
  }
}

}  // namespace
}  // namespace moebench
