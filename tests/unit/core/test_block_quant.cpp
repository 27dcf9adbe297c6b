// Scales, activation groups and weight blocks: what a block's scale is, what an all-zero or tiny
// block gets, and how the blocks at the edge of a size that 128 does not divide are cut.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/fp8_weights.hpp"
#include "core/random.hpp"

namespace moebench {
namespace {

std::vector<float> normal_row(std::size_t n, std::uint64_t seed, double scale = 0.02) {
  std::vector<bf16_bits> bits(n);
  fill_normal_bf16(CounterRng(seed, RngStream::kHiddenStates), scale, bits);
  std::vector<float> row(n);
  bf16_to_float(bits, row);
  return row;
}

TEST(BlockQuant, ScaleIsAmaxOver448) {
  EXPECT_EQ(fp8_scale(448.0f), 1.0f);
  EXPECT_EQ(fp8_scale(0.07f), 0.07f / 448.0f);
  EXPECT_EQ(fp8_scale(0.0f), 1.0f);  // all-zero group: 1, so nothing divides by 0
  // So small that amax / 448 would be subnormal: the smallest normal float instead.
  EXPECT_EQ(fp8_scale(1e-40f), std::numeric_limits<float>::min());
  EXPECT_EQ(fp8_scale(std::numeric_limits<float>::denorm_min()), std::numeric_limits<float>::min());
  EXPECT_TRUE(std::isnormal(fp8_scale(448.0f * std::numeric_limits<float>::min())));
}

TEST(BlockQuant, AGroupsLargestValueBecomes448) {
  const std::vector<float> row = normal_row(128, 1);
  std::vector<e4m3_bits> codes(128);
  std::vector<float> scales(1);
  quantize_row(row, codes, scales);
  float amax = 0;
  std::size_t at = 0;
  for (std::size_t c = 0; c < row.size(); ++c) {
    if (std::fabs(row[c]) > amax) {
      amax = std::fabs(row[c]);
      at = c;
    }
  }
  EXPECT_EQ(scales[0], amax / 448.0f);
  EXPECT_EQ(e4m3_to_float(codes[at]), std::copysign(448.0f, row[at]));
}

TEST(BlockQuant, AllZeroGroupStaysZeroWithoutNaN) {
  std::vector<float> row(300, 0.0f);
  row[200] = 0.5f;  // the second group has a value; the first and third are all zero
  std::vector<e4m3_bits> codes(300);
  std::vector<float> scales(3);
  quantize_row(row, codes, scales);
  EXPECT_EQ(scales[0], 1.0f);
  EXPECT_EQ(scales[1], 0.5f / 448.0f);
  EXPECT_EQ(scales[2], 1.0f);
  std::vector<float> back(300);
  dequantize_row(codes, scales, back);
  for (std::size_t c = 0; c < back.size(); ++c) EXPECT_EQ(back[c], row[c]) << c;
}

TEST(BlockQuant, LastGroupIsScaledByTheValuesItHas) {
  // 2880 channels (gpt-oss): 22 whole groups and one of 64.
  std::vector<float> row = normal_row(2880, 2);
  row[2879] = 3.0f;  // the last group's amax, far above every other group's
  ASSERT_EQ(fp8_blocks(2880), 23);
  std::vector<e4m3_bits> codes(2880);
  std::vector<float> scales(23);
  quantize_row(row, codes, scales);
  EXPECT_EQ(scales[22], 3.0f / 448.0f);
  float amax21 = 0;
  for (std::size_t c = 21 * 128; c < 22 * 128; ++c) amax21 = std::max(amax21, std::fabs(row[c]));
  EXPECT_EQ(scales[21], amax21 / 448.0f);  // untouched by the outlier next door
}

TEST(BlockQuant, RoundTripErrorIsWithinHalfAnE4m3Step) {
  std::vector<float> row = normal_row(1000, 3);
  std::vector<e4m3_bits> codes(row.size());
  std::vector<float> scales(static_cast<std::size_t>(fp8_blocks(1000)));
  quantize_row(row, codes, scales);
  std::vector<float> back(row.size());
  dequantize_row(codes, scales, back);
  std::vector<float> in_place = row;
  quantize_dequantize_row(in_place);
  for (std::size_t c = 0; c < row.size(); ++c) {
    EXPECT_EQ(in_place[c], back[c]) << c;
    const float s = scales[c / 128];
    // 3 mantissa bits: half a step is 2^-4 of the value; below 2^-6 (subnormal) half of 2^-9.
    const double bound = std::max(std::fabs(row[c]) / 16.0, s * std::ldexp(1.0, -10)) * (1 + 1e-6);
    EXPECT_LE(std::fabs(back[c] - row[c]), bound) << c;
  }
}

// The scale of weight block (nb, kb) of expert e, recomputed from the bf16 values it covers.
float block_scale(std::span<const bf16_bits> w, std::int64_t e, std::int64_t K, std::int64_t N, std::int64_t kb,
                  std::int64_t nb) {
  float amax = 0;
  for (std::int64_t k = kb * 128; k < std::min(K, kb * 128 + 128); ++k)
    for (std::int64_t n = nb * 128; n < std::min(N, nb * 128 + 128); ++n)
      amax = std::max(amax, std::fabs(bf16_to_float(w[static_cast<std::size_t>((e * K + k) * N + n)])));
  return amax / 448.0f;
}

TEST(BlockQuant, WeightBlocksAre128SquaresCutAtTheEdges) {
  MoeShape shape;
  shape.num_experts = 2;
  shape.hidden_size = 200;        // 1 block of 128 and one of 72
  shape.intermediate_size = 300;  // 2 of 128 and one of 44
  const EpWeights w = generate_ep_weights(shape, 5);
  const Fp8EpWeights q = quantize_ep_weights(w);
  ASSERT_EQ(q.gate.row_blocks(), 2);
  ASSERT_EQ(q.gate.col_blocks(), 3);
  ASSERT_EQ(q.gate.scales.size(), 2u * 3 * 2);  // (E, N blocks, K blocks)
  ASSERT_EQ(q.down.row_blocks(), 3);
  ASSERT_EQ(q.down.col_blocks(), 2);
  for (std::int64_t e = 0; e < 2; ++e) {
    for (std::int64_t kb = 0; kb < 2; ++kb)
      for (std::int64_t nb = 0; nb < 3; ++nb) {
        EXPECT_EQ(q.gate.scales[static_cast<std::size_t>((e * 3 + nb) * 2 + kb)],
                  block_scale(w.wi_0, e, 200, 300, kb, nb));
        EXPECT_EQ(q.up.scale(e, kb * 128, nb * 128), block_scale(w.wi_1, e, 200, 300, kb, nb));
      }
    for (std::int64_t kb = 0; kb < 3; ++kb)
      for (std::int64_t nb = 0; nb < 2; ++nb)
        EXPECT_EQ(q.down.scale(e, kb * 128 + 5, nb * 128 + 7), block_scale(w.wo, e, 300, 200, kb, nb));
  }
  // Every code is its bf16 value over its block's scale, rounded; the last block too.
  for (std::int64_t k : {0, 127, 128, 199})
    for (std::int64_t n : {0, 255, 256, 299}) {
      const float scale = q.gate.scale(1, k, n);
      EXPECT_EQ(q.gate.code(1, k, n), float_to_e4m3(bf16_to_float(w.gate(1, k, n)) / scale)) << k << "," << n;
      EXPECT_EQ(q.gate.value(1, k, n), e4m3_to_float(q.gate.code(1, k, n)) * scale);
    }
}

TEST(BlockQuant, QuantizationIsDeterministic) {
  MoeShape shape;
  shape.num_experts = 3;
  shape.hidden_size = 130;
  shape.intermediate_size = 64;
  const EpWeights w = generate_ep_weights(shape, 9);
  const Fp8EpWeights a = quantize_ep_weights(w), b = quantize_ep_weights(w);
  EXPECT_EQ(a.gate.codes, b.gate.codes);
  EXPECT_EQ(a.down.scales, b.down.scales);
}

// A device's slice (experts 1-2 of 4, intermediate columns [256, 300): the last, narrow block) holds
// the same codes and scales as the whole, renumbered from 0; a slice that cuts a block is refused.
TEST(BlockQuant, SliceOfWholeBlocksKeepsEveryValue) {
  MoeShape shape;
  shape.num_experts = 4;
  shape.hidden_size = 200;
  shape.intermediate_size = 300;
  const Fp8EpWeights q = quantize_ep_weights(generate_ep_weights(shape, 11));
  for (const Range columns : {Range{256, 300}, Range{0, 128}, Range{128, 300}}) {
    const Fp8EpWeights s = slice_fp8_weights(q, {1, 3}, columns);
    ASSERT_EQ(s.num_experts, 2);
    ASSERT_EQ(s.intermediate, columns.size());
    ASSERT_EQ(s.gate.scales.size(), static_cast<std::size_t>(2 * s.gate.col_blocks() * 2));
    ASSERT_EQ(s.down.scales.size(), static_cast<std::size_t>(2 * 2 * s.down.row_blocks()));
    for (std::int64_t e = 0; e < 2; ++e)
      for (std::int64_t h = 0; h < 200; h += 13)
        for (std::int64_t i = 0; i < columns.size(); i += 7) {
          EXPECT_EQ(s.gate.value(e, h, i), q.gate.value(e + 1, h, columns.begin + i)) << e << "," << h << "," << i;
          EXPECT_EQ(s.up.value(e, h, i), q.up.value(e + 1, h, columns.begin + i));
          EXPECT_EQ(s.down.value(e, i, h), q.down.value(e + 1, columns.begin + i, h));
          EXPECT_EQ(s.down.scale(e, i, h), q.down.scale(e + 1, columns.begin + i, h));
        }
  }
  EXPECT_THROW(slice_fp8_weights(q, {0, 4}, {64, 300}), std::invalid_argument);  // starts inside a block
  EXPECT_THROW(slice_fp8_weights(q, {0, 4}, {0, 200}), std::invalid_argument);   // ends inside one
  EXPECT_THROW(slice_fp8_weights(q, {3, 5}, {0, 300}), std::invalid_argument);   // past the experts
}

}  // namespace
}  // namespace moebench
