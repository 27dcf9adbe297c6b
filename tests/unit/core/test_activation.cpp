// Each activation against hand-computed values.
#include <gtest/gtest.h>

#include <cmath>

#include "core/activation.hpp"

namespace moebench {
namespace {

TEST(Activation, SiluTimesUp) {
  // silu(1) = 1 / (1 + e^-1) = 0.7310585786300049
  EXPECT_NEAR(silu_and_mul(1.0, 2.0), 2.0 * 0.7310585786300049, 1e-15);
  EXPECT_NEAR(silu_and_mul(-2.0, 1.0), -2.0 / (1.0 + std::exp(2.0)), 1e-15);
  EXPECT_EQ(silu_and_mul(0.0, 5.0), 0.0);
}

TEST(Activation, GeluTanhTimesUp) {
  // 0.5 * 1 * (1 + tanh(sqrt(2/pi) * (1 + 0.044715))) = 0.8411919906082768
  EXPECT_NEAR(gelu_tanh_and_mul(1.0, 1.0), 0.8411919906082768, 1e-15);
  EXPECT_NEAR(gelu_tanh_and_mul(-1.0, 3.0), 3.0 * -0.15880800939172324, 1e-15);
  EXPECT_EQ(gelu_tanh_and_mul(0.0, 7.0), 0.0);
}

TEST(Activation, SwigluOaiClampsAndShifts) {
  // g = 1, u = 2: (2 + 1) * 1 * sigmoid(1.702) = 3 * 0.8457957659328212
  EXPECT_NEAR(swigluoai_and_mul(1.0, 2.0), 3.0 * 0.8457957659328212, 1e-15);
  // gate clamped from above at 7, up clamped to [-7, 7]: g = 7, u = 7.
  const double at_limit = 8.0 * 7.0 / (1.0 + std::exp(-1.702 * 7.0));
  EXPECT_NEAR(swigluoai_and_mul(100.0, 50.0), at_limit, 1e-12);
  EXPECT_NEAR(swigluoai_and_mul(7.0, 7.0), at_limit, 1e-12);
  // up clamped from below at -7: (-7 + 1) * g * sigmoid(1.702 g); gate not clamped from below.
  EXPECT_NEAR(swigluoai_and_mul(-3.0, -20.0), -6.0 * -3.0 / (1.0 + std::exp(1.702 * 3.0)), 1e-12);
}

TEST(Activation, DispatchMatchesTheNamedFunctions) {
  for (double g : {-3.0, -0.5, 0.0, 0.25, 2.0, 9.0}) {
    EXPECT_EQ(apply_activation(Activation::kSilu, g, 1.5), silu_and_mul(g, 1.5));
    EXPECT_EQ(apply_activation(Activation::kGelu, g, 1.5), gelu_tanh_and_mul(g, 1.5));
    EXPECT_EQ(apply_activation(Activation::kSwigluOai, g, 1.5), swigluoai_and_mul(g, 1.5));
  }
}

TEST(Activation, FloatAgreesWithDouble) {
  for (float g : {-4.0f, -1.0f, 0.3f, 2.5f, 8.0f}) {
    for (Activation a : {Activation::kSilu, Activation::kGelu, Activation::kSwigluOai}) {
      const double expected = apply_activation(a, static_cast<double>(g), -0.75);
      EXPECT_NEAR(apply_activation(a, g, -0.75f), expected, 1e-6 * std::max(1.0, std::abs(expected)));
    }
  }
}

TEST(Activation, Names) {
  EXPECT_EQ(parse_activation("silu"), Activation::kSilu);
  EXPECT_EQ(parse_activation("gelu"), Activation::kGelu);
  EXPECT_EQ(parse_activation("gelu_pytorch_tanh"), Activation::kGelu);
  EXPECT_EQ(parse_activation("swigluoai"), Activation::kSwigluOai);
  EXPECT_FALSE(parse_activation("relu"));
  EXPECT_EQ(activation_name(Activation::kSwigluOai), "swigluoai");
}

}  // namespace
}  // namespace moebench
