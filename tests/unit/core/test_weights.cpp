// Synthetic weights and the EP <-> fused format conversion.
#include <gtest/gtest.h>

#include <cmath>

#include "core/random.hpp"
#include "core/weights.hpp"

namespace moebench {
namespace {

MoeShape small_shape(std::int64_t E, std::int64_t H, std::int64_t I) {
  MoeShape s;
  s.num_experts = E;
  s.top_k = 1;
  s.hidden_size = H;
  s.intermediate_size = I;
  return s;
}

TEST(Weights, GeneratedAreBf16NormalTimesScaleAndSeeded) {
  const EpWeights w = generate_ep_weights(small_shape(4, 64, 96), 42);
  ASSERT_EQ(w.wi_0.size(), 4u * 64 * 96);
  double sum = 0, squares = 0;
  for (bf16_bits b : w.wi_0) {
    const double x = bf16_to_float(b);
    sum += x;
    squares += x * x;
  }
  const double n = static_cast<double>(w.wi_0.size());
  EXPECT_NEAR(sum / n, 0.0, 0.002);
  EXPECT_NEAR(std::sqrt(squares / n), kSyntheticScale, 0.002);
  EXPECT_EQ(w.wi_0, generate_ep_weights(small_shape(4, 64, 96), 42).wi_0);
  EXPECT_NE(w.wi_0, generate_ep_weights(small_shape(4, 64, 96), 7).wi_0);
  EXPECT_NE(w.wi_0, w.wi_1);  // distinct streams per tensor
}

TEST(Weights, FillIsIndependentOfThreadCountAndMatchesNormal) {
  const CounterRng rng(5, RngStream::kGateWeights);
  std::vector<float> values(101);
  fill_normal_f32(rng, 1.0, values);
  for (std::size_t i = 0; i < values.size(); ++i) EXPECT_FLOAT_EQ(values[i], static_cast<float>(rng.normal(i)));
}

TEST(Weights, Bf16RoundsToNearestEven) {
  EXPECT_EQ(float_to_bf16(1.0f), 0x3f80);
  // 1 + 2^-8 is halfway between bf16 1.0 and 1.0078125: ties to even (1.0).
  EXPECT_EQ(float_to_bf16(1.00390625f), 0x3f80);
  // 1 + 3 * 2^-8 is halfway between 1.0078125 (odd) and 1.015625 (even): rounds up.
  EXPECT_EQ(float_to_bf16(1.01171875f), 0x3f82);
  EXPECT_TRUE(std::isnan(bf16_to_float(float_to_bf16(NAN))));
  EXPECT_EQ(round_to_bf16(0.1f), bf16_to_float(float_to_bf16(0.1f)));
}

TEST(Weights, FusedFormatLayout) {
  const EpWeights ep = generate_ep_weights(small_shape(3, 8, 10), 1);
  const FusedWeights f = to_fused_format(ep, {0, 3}, {0, 10}, FusedLayout{4, 1, 1});
  ASSERT_EQ(f.w13.size(), 3u * 20 * 8);
  // Blocks of 4 columns: rows 0-3 gate 0-3, 4-7 up 0-3, 8-11 gate 4-7, 12-15 up 4-7,
  // then the short block: 16-17 gate 8-9, 18-19 up 8-9.
  EXPECT_EQ(f.w13_row(0, false), 0);
  EXPECT_EQ(f.w13_row(3, true), 7);
  EXPECT_EQ(f.w13_row(5, false), 9);
  EXPECT_EQ(f.w13_row(8, false), 16);
  EXPECT_EQ(f.w13_row(9, true), 19);
  for (std::int64_t e = 0; e < 3; ++e)
    for (std::int64_t h = 0; h < 8; ++h)
      for (std::int64_t i = 0; i < 10; ++i) {
        EXPECT_EQ(f.w13[(e * 20 + f.w13_row(i, false)) * 8 + h], ep.gate(e, h, i));
        EXPECT_EQ(f.w13[(e * 20 + f.w13_row(i, true)) * 8 + h], ep.up(e, h, i));
        EXPECT_EQ(f.w2[(e * 8 + h) * 10 + i], ep.down(e, i, h));
      }
}

TEST(Weights, FusedFormatRoundTrip) {
  const EpWeights ep = generate_ep_weights(small_shape(4, 24, 40), 3);
  for (std::int64_t interleave : {1, 8, 16, 64}) {
    const EpWeights back = from_fused_format(to_fused_format(ep, {0, 4}, {0, 40}, FusedLayout{interleave, 1, 1}));
    EXPECT_EQ(back.wi_0, ep.wi_0);
    EXPECT_EQ(back.wi_1, ep.wi_1);
    EXPECT_EQ(back.wo, ep.wo);
  }
}

TEST(Weights, FusedShardHoldsTheSlice) {
  const EpWeights ep = generate_ep_weights(small_shape(4, 6, 12), 9);
  const FusedWeights f = to_fused_format(ep, {2, 4}, {5, 12}, FusedLayout{4, 1, 1});
  const EpWeights back = from_fused_format(f);
  ASSERT_EQ(back.num_experts, 2);
  ASSERT_EQ(back.intermediate, 7);
  for (std::int64_t e = 0; e < 2; ++e)
    for (std::int64_t h = 0; h < 6; ++h)
      for (std::int64_t i = 0; i < 7; ++i) {
        EXPECT_EQ(back.gate(e, h, i), ep.gate(e + 2, h, i + 5));
        EXPECT_EQ(back.down(e, i, h), ep.down(e + 2, i + 5, h));
      }
}

// The GPU fused kernel's layout: I padded to whole 128-column blocks, strides to 8 elements.
TEST(Weights, PaddedFusedLayoutForTheDevice) {
  const EpWeights ep = generate_ep_weights(small_shape(2, 13, 150), 4);
  const FusedWeights f = to_fused_format(ep, {0, 2}, {0, 150}, FusedLayout{128, 128, 8});
  EXPECT_EQ(f.intermediate_rows, 256);
  EXPECT_EQ(f.hidden_stride, 16);
  EXPECT_EQ(f.intermediate_stride, 152);
  ASSERT_EQ(f.w13.size(), 2u * 512 * 16);
  ASSERT_EQ(f.w2.size(), 2u * 13 * 152);
  // Block 1 covers columns 128..255: gate rows 256..383, up rows 384..511; 150..255 are padding.
  EXPECT_EQ(f.w13_row(130, false), 258);
  EXPECT_EQ(f.w13_row(130, true), 386);
  for (std::int64_t e = 0; e < 2; ++e)
    for (std::int64_t h = 0; h < 16; ++h) {
      for (std::int64_t i = 150; i < 256; ++i) {
        EXPECT_EQ(f.w13[f.w13_index(e, f.w13_row(i, false), h)], 0);
        EXPECT_EQ(f.w13[f.w13_index(e, f.w13_row(i, true), h)], 0);
      }
      if (h >= 13) {
        EXPECT_EQ(f.w13[f.w13_index(e, 0, h)], 0);
      }
    }
  const EpWeights back = from_fused_format(f);
  EXPECT_EQ(back.wi_0, ep.wi_0);
  EXPECT_EQ(back.wi_1, ep.wi_1);
  EXPECT_EQ(back.wo, ep.wo);
  // EP format with the whole slice as one block: gate rows 0..149, then up rows 150..299.
  const FusedWeights split = to_fused_format(ep, {0, 2}, {0, 150}, FusedLayout{150, 1, 8});
  EXPECT_EQ(split.w13_row(149, false), 149);
  EXPECT_EQ(split.w13_row(0, true), 150);
}

}  // namespace
}  // namespace moebench
