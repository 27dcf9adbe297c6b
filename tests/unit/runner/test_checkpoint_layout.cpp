// Each checkpoint naming scheme on a tiny layer whose every weight says where it came from: names,
// shapes, and every element where the scheme's transpose or interleave puts it.
#include <gtest/gtest.h>

#include "runner/checkpoint_layout.hpp"

namespace moebench {
namespace {

constexpr std::int64_t kE = 2, kH = 3, kI = 4;

// wi_0[e][h][i] = 1000 + 100e + 10h + i, wi_1 the same plus 1000, wo[e][i][h] = 3000 + 100e + 10i + h.
EpWeights coded_weights() {
  EpWeights w;
  w.num_experts = kE;
  w.hidden = kH;
  w.intermediate = kI;
  for (std::int64_t e = 0; e < kE; ++e)
    for (std::int64_t h = 0; h < kH; ++h)
      for (std::int64_t i = 0; i < kI; ++i) {
        w.wi_0.push_back(static_cast<bf16_bits>(1000 + 100 * e + 10 * h + i));
        w.wi_1.push_back(static_cast<bf16_bits>(2000 + 100 * e + 10 * h + i));
      }
  for (std::int64_t e = 0; e < kE; ++e)
    for (std::int64_t i = 0; i < kI; ++i)
      for (std::int64_t h = 0; h < kH; ++h) w.wo.push_back(static_cast<bf16_bits>(3000 + 100 * e + 10 * i + h));
  return w;
}
int gate(std::int64_t e, std::int64_t h, std::int64_t i) { return static_cast<int>(1000 + 100 * e + 10 * h + i); }
int up(std::int64_t e, std::int64_t h, std::int64_t i) { return gate(e, h, i) + 1000; }
int down(std::int64_t e, std::int64_t i, std::int64_t h) { return static_cast<int>(3000 + 100 * e + 10 * i + h); }

std::vector<bf16_bits> values_of(const SafetensorsTensor& t) {
  std::vector<bf16_bits> out;
  t.write_data([&](const void* data, std::size_t size) {
    const auto* p = static_cast<const bf16_bits*>(data);
    out.insert(out.end(), p, p + size / sizeof(bf16_bits));
  });
  EXPECT_EQ(out.size() * sizeof(bf16_bits), t.bytes()) << t.name;
  EXPECT_EQ(t.dtype, TensorDtype::kBf16) << t.name;
  return out;
}

std::vector<std::string> names_of(const std::vector<SafetensorsTensor>& tensors) {
  std::vector<std::string> names;
  for (const auto& t : tensors) names.push_back(t.name);
  return names;
}

using Shape = std::vector<std::int64_t>;

TEST(CheckpointLayout, PerExpertProjIsTorchLinearPerExpert) {
  const EpWeights w = coded_weights();
  const auto tensors = checkpoint_tensors(w, WeightNaming::kPerExpertProj);
  EXPECT_EQ(names_of(tensors), (std::vector<std::string>{"experts.0.gate_proj.weight", "experts.0.up_proj.weight",
                                                         "experts.0.down_proj.weight", "experts.1.gate_proj.weight",
                                                         "experts.1.up_proj.weight", "experts.1.down_proj.weight"}));
  for (std::int64_t e = 0; e < kE; ++e) {
    const auto& g = tensors[static_cast<std::size_t>(3 * e)];
    const auto& u = tensors[static_cast<std::size_t>(3 * e + 1)];
    const auto& d = tensors[static_cast<std::size_t>(3 * e + 2)];
    EXPECT_EQ(g.shape, (Shape{kI, kH}));
    EXPECT_EQ(d.shape, (Shape{kH, kI}));
    const auto gv = values_of(g), uv = values_of(u), dv = values_of(d);
    for (std::int64_t i = 0; i < kI; ++i)
      for (std::int64_t h = 0; h < kH; ++h) {
        EXPECT_EQ(gv[static_cast<std::size_t>(i * kH + h)], gate(e, h, i));  // [out = I, in = H]
        EXPECT_EQ(uv[static_cast<std::size_t>(i * kH + h)], up(e, h, i));
        EXPECT_EQ(dv[static_cast<std::size_t>(h * kI + i)], down(e, i, h));  // [out = H, in = I]
      }
  }
}

TEST(CheckpointLayout, MixtralNamesGateW1UpW3DownW2) {
  const EpWeights w = coded_weights();
  const auto tensors = checkpoint_tensors(w, WeightNaming::kMixtral);
  ASSERT_EQ(tensors.size(), 6u);
  EXPECT_EQ(tensors[3].name, "experts.1.w1.weight");
  EXPECT_EQ(tensors[4].name, "experts.1.w3.weight");
  EXPECT_EQ(tensors[5].name, "experts.1.w2.weight");
  EXPECT_EQ(values_of(tensors[3])[static_cast<std::size_t>(2 * kH + 1)], gate(1, 1, 2));
  EXPECT_EQ(values_of(tensors[4])[static_cast<std::size_t>(2 * kH + 1)], up(1, 1, 2));
  EXPECT_EQ(values_of(tensors[5])[static_cast<std::size_t>(1 * kI + 2)], down(1, 2, 1));
}

TEST(CheckpointLayout, GptOssInterleavesGateAndUpWithZeroBiases) {
  const EpWeights w = coded_weights();
  const auto tensors = checkpoint_tensors(w, WeightNaming::kGptOss);
  EXPECT_EQ(names_of(tensors), (std::vector<std::string>{"experts.gate_up_proj", "experts.gate_up_proj_bias",
                                                         "experts.down_proj", "experts.down_proj_bias"}));
  EXPECT_EQ(tensors[0].shape, (Shape{kE, kH, 2 * kI}));
  EXPECT_EQ(tensors[1].shape, (Shape{kE, 2 * kI}));
  EXPECT_EQ(tensors[2].shape, (Shape{kE, kI, kH}));
  EXPECT_EQ(tensors[3].shape, (Shape{kE, kH}));
  const auto gu = values_of(tensors[0]), dv = values_of(tensors[2]);
  for (std::int64_t e = 0; e < kE; ++e)
    for (std::int64_t h = 0; h < kH; ++h)
      for (std::int64_t i = 0; i < kI; ++i) {
        const auto row = static_cast<std::size_t>((e * kH + h) * 2 * kI);
        EXPECT_EQ(gu[row + static_cast<std::size_t>(2 * i)], gate(e, h, i));    // gate_up[..., ::2]
        EXPECT_EQ(gu[row + static_cast<std::size_t>(2 * i + 1)], up(e, h, i));  // gate_up[..., 1::2]
        EXPECT_EQ(dv[static_cast<std::size_t>((e * kI + i) * kH + h)], down(e, i, h));
      }
  for (bf16_bits b : values_of(tensors[1])) EXPECT_EQ(b, 0);
  for (bf16_bits b : values_of(tensors[3])) EXPECT_EQ(b, 0);
}

TEST(CheckpointLayout, Llama4PutsGateColumnsThenUp) {
  const EpWeights w = coded_weights();
  const auto tensors = checkpoint_tensors(w, WeightNaming::kLlama4);
  EXPECT_EQ(names_of(tensors), (std::vector<std::string>{"experts.gate_up_proj", "experts.down_proj"}));
  EXPECT_EQ(tensors[0].shape, (Shape{kE, kH, 2 * kI}));
  const auto gu = values_of(tensors[0]);
  for (std::int64_t e = 0; e < kE; ++e)
    for (std::int64_t h = 0; h < kH; ++h)
      for (std::int64_t i = 0; i < kI; ++i) {
        const auto row = static_cast<std::size_t>((e * kH + h) * 2 * kI);
        EXPECT_EQ(gu[row + static_cast<std::size_t>(i)], gate(e, h, i));     // chunk(2)[0]
        EXPECT_EQ(gu[row + static_cast<std::size_t>(kI + i)], up(e, h, i));  // chunk(2)[1]
      }
  EXPECT_EQ(values_of(tensors[1]), w.wo);
}

TEST(CheckpointLayout, GraniteStacksGateRowsThenUpRows) {
  const EpWeights w = coded_weights();
  const auto tensors = checkpoint_tensors(w, WeightNaming::kGraniteMoe);
  EXPECT_EQ(names_of(tensors), (std::vector<std::string>{"input_linear.weight", "output_linear.weight"}));
  EXPECT_EQ(tensors[0].shape, (Shape{kE, 2 * kI, kH}));
  EXPECT_EQ(tensors[1].shape, (Shape{kE, kH, kI}));
  const auto in = values_of(tensors[0]), out = values_of(tensors[1]);
  for (std::int64_t e = 0; e < kE; ++e)
    for (std::int64_t h = 0; h < kH; ++h)
      for (std::int64_t i = 0; i < kI; ++i) {
        EXPECT_EQ(in[static_cast<std::size_t>((e * 2 * kI + i) * kH + h)], gate(e, h, i));
        EXPECT_EQ(in[static_cast<std::size_t>((e * 2 * kI + kI + i) * kH + h)], up(e, h, i));
        EXPECT_EQ(out[static_cast<std::size_t>((e * kH + h) * kI + i)], down(e, i, h));
      }
}

// Transposes of matrices wider than one 64-row block, and of ragged edges.
TEST(CheckpointLayout, LargeTransposesKeepEveryElement) {
  EpWeights w;
  w.num_experts = 1;
  w.hidden = 70;
  w.intermediate = 131;
  for (std::int64_t n = 0; n < 70 * 131; ++n) {
    w.wi_0.push_back(static_cast<bf16_bits>(n));
    w.wi_1.push_back(static_cast<bf16_bits>(n + 1));
    w.wo.push_back(static_cast<bf16_bits>(n + 2));
  }
  const auto tensors = checkpoint_tensors(w, WeightNaming::kPerExpertProj);
  const auto g = values_of(tensors[0]), d = values_of(tensors[2]);
  for (std::int64_t h = 0; h < 70; ++h)
    for (std::int64_t i = 0; i < 131; ++i) {
      ASSERT_EQ(g[static_cast<std::size_t>(i * 70 + h)], static_cast<bf16_bits>(h * 131 + i));
      ASSERT_EQ(d[static_cast<std::size_t>(h * 131 + i)], static_cast<bf16_bits>(i * 70 + h + 2));
    }
}

}  // namespace
}  // namespace moebench
