// Each checkpoint naming scheme on a tiny layer whose every weight says where it came from: names,
// shapes, and every element where the scheme's transpose or interleave puts it; for e4m3 weights,
// each matrix's block scales beside it; and the byte count the size limit compares.
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

// FP8: codes where the bf16 values go, and after each weight its `_scale_inv`. H and I are not
// multiples of 128 (3 and 2 blocks, the last ones narrow), so block rows and columns differ.
constexpr std::int64_t kE8 = 2, kH8 = 300, kI8 = 130, kHBlocks = 3, kIBlocks = 2;

// Codes that differ from element to element (mod 251) and scales tag * 1000 + their index.
void fill_projection(Fp8Projection& p, std::int64_t rows, std::int64_t cols, int tag) {
  p.num_experts = kE8;
  p.rows = rows;
  p.cols = cols;
  p.codes.resize(static_cast<std::size_t>(kE8 * rows * cols));
  for (std::size_t n = 0; n < p.codes.size(); ++n) p.codes[n] = static_cast<e4m3_bits>((n * 7 + 13 * tag) % 251);
  p.scales.resize(static_cast<std::size_t>(kE8 * p.row_blocks() * p.col_blocks()));
  for (std::size_t n = 0; n < p.scales.size(); ++n) p.scales[n] = static_cast<float>(1000 * tag) + n;
}

Fp8EpWeights coded_fp8_weights() {
  Fp8EpWeights w;
  w.num_experts = kE8;
  w.hidden = kH8;
  w.intermediate = kI8;
  fill_projection(w.gate, kH8, kI8, 1);
  fill_projection(w.up, kH8, kI8, 2);
  fill_projection(w.down, kI8, kH8, 3);
  return w;
}

template <typename T>
std::vector<T> typed_values(const SafetensorsTensor& t, TensorDtype dtype) {
  std::vector<T> out;
  t.write_data([&](const void* data, std::size_t size) {
    const auto* p = static_cast<const T*>(data);
    out.insert(out.end(), p, p + size / sizeof(T));
  });
  EXPECT_EQ(out.size() * sizeof(T), t.bytes()) << t.name;
  EXPECT_EQ(t.dtype, dtype) << t.name;
  return out;
}
std::vector<e4m3_bits> codes_of(const SafetensorsTensor& t) { return typed_values<e4m3_bits>(t, TensorDtype::kF8E4M3); }
std::vector<float> scales_of(const SafetensorsTensor& t) { return typed_values<float>(t, TensorDtype::kF32); }

// Expert e's scales of projection p, (out blocks, in blocks) row-major.
std::vector<float> expert_scales(const Fp8Projection& p, std::int64_t e) {
  const std::int64_t count = p.row_blocks() * p.col_blocks();
  return {p.scales.begin() + e * count, p.scales.begin() + (e + 1) * count};
}

TEST(CheckpointLayoutFp8, PerExpertProjPutsEachWeightsScalesAfterIt) {
  const Fp8EpWeights w = coded_fp8_weights();
  const auto tensors = checkpoint_tensors(w, WeightNaming::kPerExpertProj);
  const auto names = names_of(tensors);
  EXPECT_EQ(std::vector<std::string>(names.begin(), names.begin() + 6),
            (std::vector<std::string>{"experts.0.gate_proj.weight", "experts.0.gate_proj.weight_scale_inv",
                                      "experts.0.up_proj.weight", "experts.0.up_proj.weight_scale_inv",
                                      "experts.0.down_proj.weight", "experts.0.down_proj.weight_scale_inv"}));
  ASSERT_EQ(tensors.size(), static_cast<std::size_t>(6 * kE8));
  for (std::int64_t e = 0; e < kE8; ++e) {
    const auto& g = tensors[static_cast<std::size_t>(6 * e)];
    const auto& d = tensors[static_cast<std::size_t>(6 * e + 4)];
    EXPECT_EQ(g.shape, (Shape{kI8, kH8}));
    EXPECT_EQ(d.shape, (Shape{kH8, kI8}));
    // DeepSeek-V3's weight_scale_inv: (ceil(out / 128), ceil(in / 128)).
    EXPECT_EQ(tensors[static_cast<std::size_t>(6 * e + 1)].shape, (Shape{kIBlocks, kHBlocks}));
    EXPECT_EQ(tensors[static_cast<std::size_t>(6 * e + 5)].shape, (Shape{kHBlocks, kIBlocks}));
    const auto gv = codes_of(g), uv = codes_of(tensors[static_cast<std::size_t>(6 * e + 2)]), dv = codes_of(d);
    for (std::int64_t i = 0; i < kI8; ++i)
      for (std::int64_t h = 0; h < kH8; ++h) {
        ASSERT_EQ(gv[static_cast<std::size_t>(i * kH8 + h)], w.gate.code(e, h, i));
        ASSERT_EQ(uv[static_cast<std::size_t>(i * kH8 + h)], w.up.code(e, h, i));
        ASSERT_EQ(dv[static_cast<std::size_t>(h * kI8 + i)], w.down.code(e, i, h));
      }
    EXPECT_EQ(scales_of(tensors[static_cast<std::size_t>(6 * e + 1)]), expert_scales(w.gate, e));
    EXPECT_EQ(scales_of(tensors[static_cast<std::size_t>(6 * e + 3)]), expert_scales(w.up, e));
    EXPECT_EQ(scales_of(tensors[static_cast<std::size_t>(6 * e + 5)]), expert_scales(w.down, e));
  }
  EXPECT_EQ(checkpoint_tensors(w, WeightNaming::kMixtral)[1].name, "experts.0.w1.weight_scale_inv");
}

// The scales of a fused gate-and-up tensor: per expert, the gate's block rows then the up's.
std::vector<float> gate_up_scales(const Fp8EpWeights& w) {
  std::vector<float> out;
  for (std::int64_t e = 0; e < kE8; ++e) {
    for (float s : expert_scales(w.gate, e)) out.push_back(s);
    for (float s : expert_scales(w.up, e)) out.push_back(s);
  }
  return out;
}

TEST(CheckpointLayoutFp8, GptOssScalesAreOutByInBlocksOfEachMatrixAndBiasesStayBf16) {
  const Fp8EpWeights w = coded_fp8_weights();
  const auto tensors = checkpoint_tensors(w, WeightNaming::kGptOss);
  EXPECT_EQ(names_of(tensors), (std::vector<std::string>{"experts.gate_up_proj", "experts.gate_up_proj_scale_inv",
                                                         "experts.gate_up_proj_bias", "experts.down_proj",
                                                         "experts.down_proj_scale_inv", "experts.down_proj_bias"}));
  EXPECT_EQ(tensors[0].shape, (Shape{kE8, kH8, 2 * kI8}));
  EXPECT_EQ(tensors[1].shape, (Shape{kE8, 2 * kIBlocks, kHBlocks}));
  EXPECT_EQ(tensors[3].shape, (Shape{kE8, kI8, kH8}));
  EXPECT_EQ(tensors[4].shape, (Shape{kE8, kHBlocks, kIBlocks}));
  EXPECT_EQ(tensors[2].dtype, TensorDtype::kBf16);
  EXPECT_EQ(tensors[5].dtype, TensorDtype::kBf16);
  const auto gu = codes_of(tensors[0]);
  for (std::int64_t e = 0; e < kE8; ++e)
    for (std::int64_t h = 0; h < kH8; ++h)
      for (std::int64_t i = 0; i < kI8; ++i) {
        const auto row = static_cast<std::size_t>((e * kH8 + h) * 2 * kI8);
        ASSERT_EQ(gu[row + static_cast<std::size_t>(2 * i)], w.gate.code(e, h, i));
        ASSERT_EQ(gu[row + static_cast<std::size_t>(2 * i + 1)], w.up.code(e, h, i));
      }
  EXPECT_EQ(codes_of(tensors[3]), w.down.codes);
  EXPECT_EQ(scales_of(tensors[1]), gate_up_scales(w));
  EXPECT_EQ(scales_of(tensors[4]), w.down.scales);
}

TEST(CheckpointLayoutFp8, Llama4AndGraniteNameTheirScalesAfterTheirWeights) {
  const Fp8EpWeights w = coded_fp8_weights();
  const auto llama4 = checkpoint_tensors(w, WeightNaming::kLlama4);
  EXPECT_EQ(names_of(llama4), (std::vector<std::string>{"experts.gate_up_proj", "experts.gate_up_proj_scale_inv",
                                                        "experts.down_proj", "experts.down_proj_scale_inv"}));
  EXPECT_EQ(codes_of(llama4[0])[static_cast<std::size_t>(kI8 + 5)], w.up.code(0, 0, 5));  // gate, then up
  EXPECT_EQ(scales_of(llama4[1]), gate_up_scales(w));
  const auto granite = checkpoint_tensors(w, WeightNaming::kGraniteMoe);
  EXPECT_EQ(names_of(granite), (std::vector<std::string>{"input_linear.weight", "input_linear.weight_scale_inv",
                                                         "output_linear.weight", "output_linear.weight_scale_inv"}));
  EXPECT_EQ(granite[0].shape, (Shape{kE8, 2 * kI8, kH8}));
  EXPECT_EQ(granite[1].shape, (Shape{kE8, 2 * kIBlocks, kHBlocks}));
  EXPECT_EQ(granite[3].shape, (Shape{kE8, kHBlocks, kIBlocks}));
  const auto in = codes_of(granite[0]), out = codes_of(granite[2]);
  EXPECT_EQ(in[static_cast<std::size_t>((1 * 2 * kI8 + kI8 + 7) * kH8 + 200)], w.up.code(1, 200, 7));
  EXPECT_EQ(out[static_cast<std::size_t>((1 * kH8 + 200) * kI8 + 7)], w.down.code(1, 7, 200));
  EXPECT_EQ(scales_of(granite[1]), gate_up_scales(w));
  EXPECT_EQ(scales_of(granite[3]), w.down.scales);
}

// What --save-tensors-max-bytes compares is what the file's data takes, for every scheme and dtype.
TEST(CheckpointLayout, BytesAreThoseOfTheTensors) {
  const EpWeights bf16 = coded_weights();
  const Fp8EpWeights fp8 = coded_fp8_weights();
  for (const auto& [naming, name] : kWeightNamingNames) {
    EXPECT_EQ(checkpoint_bytes(kE, kH, kI, naming, WeightDtype::kBf16),
              safetensors_data_bytes(checkpoint_tensors(bf16, naming)))
        << name;
    EXPECT_EQ(checkpoint_bytes(kE8, kH8, kI8, naming, WeightDtype::kFp8Block128),
              safetensors_data_bytes(checkpoint_tensors(fp8, naming)))
        << name;
  }
  // DeepSeek-V3's 256 experts: 3 * 256 * 7168 * 2048 one-byte values and 3 * 256 * 56 * 16 f32 scales.
  EXPECT_EQ(checkpoint_bytes(256, 7168, 2048, WeightNaming::kPerExpertProj, WeightDtype::kFp8Block128),
            11274289152u + 2752512u);
}

}  // namespace
}  // namespace moebench
