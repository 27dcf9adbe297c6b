// --dtype: the two formats by name, `model` following the config's quantization_config (and
// refusing, by name, a format moebench does not run), and the layouts fp8 cannot split.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli/options.hpp"
#include "cli/validate.hpp"
#include "core/errors.hpp"
#include "core/log.hpp"
#include "unit/cli/parse_args.hpp"

namespace moebench {
namespace {

using testing::parse_args;

std::vector<std::string> manual(std::vector<std::string> extra, const char* intermediate = "4096") {
  std::vector<std::string> args{"--num-experts", "8",    "--num-experts-per-tok", "2",
                                "--hidden-size", "1024", "--intermediate-size",   intermediate};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

WeightDtype dtype_of(const std::vector<std::string>& args) {
  const ParsedCommandLine parsed = parse_args(args);
  EXPECT_FALSE(parsed.exit_now) << parsed.message;
  return build_plan(parsed.options, environment_from({})).problem.dtype;
}

std::string usage_error(const std::vector<std::string>& args) {
  const ParsedCommandLine parsed = parse_args(args);
  if (parsed.exit_now) return parsed.message;
  try {
    build_plan(parsed.options, environment_from({}));
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    return e.what();
  }
  ADD_FAILURE() << "accepted";
  return "";
}

// A config file holding a DeepSeek-V3-style layer with the given quantization_config (none: "").
std::string config_file(const std::string& name, const std::string& quantization) {
  const auto path = std::filesystem::temp_directory_path() / ("moebench_dtype_" + name + ".json");
  std::ofstream(path) << R"({"model_type": "deepseek_v3", "n_routed_experts": 16, "num_experts_per_tok": 4,)"
                      << R"( "hidden_size": 256, "moe_intermediate_size": 256, "n_group": 4, "topk_group": 2)"
                      << (quantization.empty() ? "" : ", \"quantization_config\": " + quantization) << "}";
  return path.string();
}

const char* kDeepSeekV3Quantization =
    R"({"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8", "weight_block_size": [128, 128]})";

TEST(DtypeChoice, Bf16UnlessAsked) {
  EXPECT_EQ(dtype_of(manual({})), WeightDtype::kBf16);
  EXPECT_EQ(dtype_of(manual({"--dtype", "bf16"})), WeightDtype::kBf16);
  EXPECT_EQ(dtype_of(manual({"--dtype", "fp8"})), WeightDtype::kFp8Block128);
  // A quantized checkpoint does not change the default: --dtype model follows it, nothing else.
  EXPECT_EQ(dtype_of({"--model-path", config_file("v3", kDeepSeekV3Quantization)}), WeightDtype::kBf16);
  EXPECT_EQ(dtype_of({"--model-path", "openai/gpt-oss-120b"}), WeightDtype::kBf16);
}

TEST(DtypeChoice, AnUnknownDtypeIsOneLineAndExit2) {
  for (const char* bad : {"int8", "FP8", "fp8-b128", "e4m3"}) {
    const ParsedCommandLine parsed = parse_args(manual({"--dtype", bad}));
    ASSERT_TRUE(parsed.exit_now) << bad;
    EXPECT_EQ(parsed.exit_code, kExitUsage);
    EXPECT_EQ(parsed.message, fmt::format("unknown value '{}' for --dtype (choose from bf16, fp8, model)", bad));
  }
}

TEST(DtypeChoice, ModelFollowsTheQuantizationConfig) {
  set_verbose(true);
  ::testing::internal::CaptureStderr();
  const std::string v3 = config_file("v3", kDeepSeekV3Quantization);
  EXPECT_EQ(dtype_of({"--model-path", v3, "--dtype", "model"}), WeightDtype::kFp8Block128);
  const std::string plain = config_file("plain", "");
  EXPECT_EQ(dtype_of({"--model-path", plain, "--dtype", "model"}), WeightDtype::kBf16);
  const std::string said = ::testing::internal::GetCapturedStderr();
  set_verbose(false);
  // --verbose says which and why.
  EXPECT_NE(said.find("--dtype model: " + v3 +
                      " has quantization_config {quant_method fp8, fmt e4m3, activation_scheme dynamic, "
                      "weight_block_size [128,128]}: running fp8-b128"),
            std::string::npos)
      << said;
  EXPECT_NE(said.find("--dtype model: " + plain + " has no quantization_config (unquantized weights): running bf16"),
            std::string::npos)
      << said;
}

TEST(DtypeChoice, ModelRefusesOtherFormatsByName) {
  EXPECT_EQ(usage_error({"--model-path", "openai/gpt-oss-120b", "--dtype", "model"}),
            "--dtype model: openai/gpt-oss-120b has quantization_config {quant_method mxfp4}, which moebench does not "
            "run: quant_method 'mxfp4' is not implemented (--dtype fp8 is quant_method fp8 with weight_block_size "
            "[128, 128]; --dtype bf16 runs the layer unquantized)");
  EXPECT_NE(
      usage_error({"--model-path", config_file("awq", R"({"quant_method": "awq", "bits": 4})"), "--dtype", "model"})
          .find("quant_method 'awq' is not implemented"),
      std::string::npos);
  EXPECT_NE(
      usage_error({"--model-path", config_file("b64", R"({"quant_method": "fp8", "weight_block_size": [64, 64]})"),
                   "--dtype", "model"})
          .find("weight_block_size [64,64] is not implemented"),
      std::string::npos);
  EXPECT_NE(usage_error(manual({"--dtype", "model"})).find("a manual configuration has none"), std::string::npos);
}

TEST(DtypeChoice, PresetsOfQuantizedCheckpoints) {
  EXPECT_EQ(dtype_of({"--model-path", "deepseek-ai/DeepSeek-V3", "--dtype", "model"}), WeightDtype::kFp8Block128);
  EXPECT_EQ(dtype_of({"--model-path", "Qwen/Qwen3-30B-A3B", "--dtype", "model"}), WeightDtype::kBf16);
}

TEST(DtypeChoice, Fp8NeedsWholeGroupsOnEveryTpRank) {
  // TP = 2 splits I = 300 at 150: a 128-channel group would straddle two devices.
  EXPECT_EQ(usage_error(manual({"--dtype", "fp8", "--tp-size", "2"}, "300")),
            "--dtype fp8 with 2 devices per expert (tp_size / ep_size) needs intermediate_size to be a multiple of 256 "
            "(128 x 2), so that each device's slice is whole 128-channel groups (got 300)");
  EXPECT_EQ(dtype_of(manual({"--dtype", "fp8", "--tp-size", "2"}, "512")), WeightDtype::kFp8Block128);
  EXPECT_EQ(dtype_of(manual({"--dtype", "fp8", "--tp-size", "2", "--ep-size", "2"}, "300")),
            WeightDtype::kFp8Block128);  // EP only: every device holds whole experts
  EXPECT_EQ(dtype_of(manual({"--dtype", "bf16", "--tp-size", "2"}, "300")), WeightDtype::kBf16);
}

}  // namespace
}  // namespace moebench
