// quantization_config: read whatever it holds without stopping a bf16 run, and say precisely why a
// checkpoint's format is not the fp8 that --dtype model would run.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/model_config.hpp"
#include "model/presets.hpp"

namespace moebench {
namespace {

using nlohmann::json;

json base_config() {
  return json{
      {"model_type", "deepseek_v3"},  {"n_routed_experts", 16}, {"num_experts_per_tok", 4}, {"hidden_size", 256},
      {"moe_intermediate_size", 128}, {"n_group", 4},           {"topk_group", 2}};
}

CheckpointQuantization quantization_of(const json& quantization_config) {
  json c = base_config();
  c["quantization_config"] = quantization_config;
  return shape_from_config(c, "cfg.json").checkpoint_quantization;
}

const json kDeepSeekV3 = {
    {"activation_scheme", "dynamic"}, {"fmt", "e4m3"}, {"quant_method", "fp8"}, {"weight_block_size", {128, 128}}};

TEST(QuantizationConfig, NoneIsBf16) {
  const CheckpointQuantization q = shape_from_config(base_config(), "cfg.json").checkpoint_quantization;
  EXPECT_FALSE(q.present());
  json c = base_config();
  c["quantization_config"] = nullptr;
  EXPECT_FALSE(shape_from_config(c, "cfg.json").checkpoint_quantization.present());
}

TEST(QuantizationConfig, DeepSeekV3sIsTheFp8ThatRuns) {
  const CheckpointQuantization q = quantization_of(kDeepSeekV3);
  EXPECT_TRUE(q.present());
  EXPECT_EQ(q.method, "fp8");
  EXPECT_EQ(q.mismatch, "");
  EXPECT_EQ(q.description, "quant_method fp8, fmt e4m3, activation_scheme dynamic, weight_block_size [128,128]");
  // fmt and activation_scheme may be left out (Qwen3's FP8 configs have them; others do not).
  EXPECT_EQ(quantization_of({{"quant_method", "fp8"}, {"weight_block_size", {128, 128}}}).mismatch, "");
}

TEST(QuantizationConfig, OtherFormatsAreNamed) {
  EXPECT_EQ(quantization_of({{"quant_method", "mxfp4"}}).mismatch, "quant_method 'mxfp4' is not implemented");
  EXPECT_EQ(quantization_of({{"quant_method", "awq"}, {"bits", 4}}).method, "awq");
  EXPECT_EQ(quantization_of({{"quant_method", "compressed-tensors"}}).mismatch,
            "quant_method 'compressed-tensors' is not implemented");
  EXPECT_EQ(quantization_of({{"bits", 4}}).mismatch, "it names no quant_method");
  EXPECT_EQ(quantization_of(json::array({1, 2})).mismatch, "quantization_config is not an object");
}

TEST(QuantizationConfig, Fp8OtherThan128BlocksOfE4m3IsNamed) {
  json q = kDeepSeekV3;
  q.erase("weight_block_size");
  EXPECT_NE(quantization_of(q).mismatch.find("without weight_block_size"), std::string::npos);
  q["weight_block_size"] = {64, 64};
  EXPECT_EQ(quantization_of(q).mismatch, "weight_block_size [64,64] is not implemented ([128, 128] is)");
  q = kDeepSeekV3;
  q["fmt"] = "e5m2";
  EXPECT_EQ(quantization_of(q).mismatch, "fmt e5m2 is not implemented (e4m3 is)");
  q = kDeepSeekV3;
  q["activation_scheme"] = "static";
  EXPECT_NE(quantization_of(q).mismatch.find("activation_scheme static"), std::string::npos);
}

TEST(QuantizationConfig, NeverStopsTheShapeFromLoading) {
  for (const json& odd : {json("fp8"), json(7), json::object(), json{{"quant_method", 8}},
                          json{{"quant_method", "fp8"}, {"weight_block_size", "wide"}}}) {
    EXPECT_NO_THROW(quantization_of(odd)) << odd.dump();
    EXPECT_NE(quantization_of(odd).mismatch, "") << odd.dump();
  }
}

TEST(QuantizationConfig, AMultimodalConfigsTopLevelCounts) {
  json c{{"model_type", "multi"}, {"text_config", base_config()}, {"quantization_config", kDeepSeekV3}};
  EXPECT_EQ(shape_from_config(c, "cfg.json").checkpoint_quantization.method, "fp8");
}

TEST(QuantizationConfig, PresetsCarryTheirCheckpointsFormat) {
  auto of = [](const char* name) { return preset_shape(*find_preset(name)).checkpoint_quantization; };
  EXPECT_EQ(of("deepseek-ai/DeepSeek-V3").mismatch, "");
  EXPECT_TRUE(of("deepseek-ai/DeepSeek-V3").present());
  EXPECT_EQ(of("openai/gpt-oss-120b").method, "mxfp4");
  EXPECT_EQ(of("openai/gpt-oss-20b").method, "mxfp4");
  EXPECT_FALSE(of("Qwen/Qwen3-30B-A3B").present());
}

}  // namespace
}  // namespace moebench
