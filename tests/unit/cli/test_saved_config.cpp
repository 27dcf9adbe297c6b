// --save-tensors on the command line: the folder checked before any work, the byte limit, and the
// config.json the plan carries (manual or as read, with _moebench and the family's weight naming;
// with --dtype fp8, the quantization_config that reruns it as fp8).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <utility>

#include "cli/options.hpp"
#include "cli/validate.hpp"
#include "core/errors.hpp"
#include "support/process.hpp"
#include "unit/cli/parse_args.hpp"

namespace moebench {
namespace {

namespace fs = std::filesystem;

BenchmarkPlan plan_for(std::vector<std::string> args) {
  const ParsedCommandLine parsed = testing::parse_args(std::move(args));
  if (parsed.exit_now) throw UsageError(parsed.message);
  return build_plan(parsed.options, environment_from({}));
}

std::string usage_error(const std::vector<std::string>& args) {
  try {
    plan_for(args);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "accepted";
}

const fs::path kTemp = fs::temp_directory_path();

std::vector<std::string> manual(std::vector<std::string> extra) {
  std::vector<std::string> args{"--num-experts", "8",  "--num-experts-per-tok", "2",
                                "--hidden-size", "64", "--intermediate-size",   "96"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(SaveTensorsFlags, OffByDefaultAndTwoGibOfWeights) {
  const BenchmarkPlan plan = plan_for(manual({}));
  EXPECT_FALSE(plan.save_tensors.enabled());
  EXPECT_EQ(plan.save_tensors.max_weight_bytes, std::int64_t{2147483648});
}

TEST(SaveTensorsFlags, FolderAndLimitReachThePlan) {
  const std::string dir = (kTemp / "moebench_save_flags" / "not" / "yet").string();
  const BenchmarkPlan plan = plan_for(manual({"--save-tensors", dir, "--save-tensors-max-bytes", "123"}));
  EXPECT_EQ(plan.save_tensors.dir, dir);
  EXPECT_EQ(plan.save_tensors.max_weight_bytes, 123);
  EXPECT_FALSE(fs::exists(kTemp / "moebench_save_flags")) << "validation creates nothing";
}

TEST(SaveTensorsFlags, UnwritableFolderIsRefusedBeforeAnyWork) {
  EXPECT_EQ(usage_error(manual({"--save-tensors", "/proc/moebench"}))
                .rfind("cannot save tensors in --save-tensors "
                       "/proc/moebench: ",
                       0),
            0u);
  const fs::path file = kTemp / "moebench_save_flags_file";
  std::ofstream(file) << "x";
  EXPECT_NE(usage_error(manual({"--save-tensors", file.string()})).find("is not a directory"), std::string::npos);
  fs::remove(file);
}

TEST(SaveTensorsFlags, NegativeLimitIsRefused) {
  EXPECT_EQ(usage_error(manual({"--save-tensors-max-bytes", "-1"})),
            "--save-tensors-max-bytes must be a byte count, 0 or more (got -1)");
}

nlohmann::json saved_config(const std::vector<std::string>& args) {
  const BenchmarkPlan plan = plan_for(args);
  return nlohmann::json::parse(plan.save_tensors.config_json);
}

TEST(SavedConfig, ManualConfigInHuggingFaceKeysWithWhatTheRunComputed) {
  const auto c =
      saved_config(manual({"--activation", "gelu", "--seed", "9", "--save-tensors", (kTemp / "moebench_s").string()}));
  EXPECT_EQ(c["model_type"], "moebench_manual");
  EXPECT_EQ(c["num_experts"], 8);
  EXPECT_EQ(c["num_experts_per_tok"], 2);
  EXPECT_EQ(c["hidden_size"], 64);
  EXPECT_EQ(c["moe_intermediate_size"], 96);
  EXPECT_EQ(c["hidden_act"], "gelu_pytorch_tanh");
  EXPECT_EQ(c["norm_topk_prob"], true);
  EXPECT_EQ(c["scoring_func"], "softmax");
  EXPECT_EQ(c["topk_method"], "greedy");
  const auto& m = c["_moebench"];
  EXPECT_EQ(m["num_experts"], 8);
  EXPECT_EQ(m["top_k"], 2);
  EXPECT_EQ(m["hidden_size"], 64);
  EXPECT_EQ(m["intermediate_size"], 96);
  EXPECT_EQ(m["activation"], "gelu_tanh");
  EXPECT_EQ(m["router"]["scoring"], "softmax");
  EXPECT_EQ(m["router"]["renormalize"], true);
  EXPECT_EQ(m["router"]["topk_method"], "greedy");
  EXPECT_EQ(m["router"]["n_group"], 1);
  EXPECT_EQ(m["router"]["topk_group"], 1);
  EXPECT_EQ(m["router"]["routed_scaling_factor"], 1.0);
  EXPECT_EQ(m["family"], "");
  EXPECT_EQ(m["weight_naming"], "per_expert_proj");
  EXPECT_EQ(m["dtype"], "bf16");
  EXPECT_EQ(m["seed"], 9);
  EXPECT_NE(m["command_line"].get<std::string>().find("--activation gelu --seed 9"), std::string::npos);
}

// The saved config of a manual run, given back to --model-path, is the same layer.
TEST(SavedConfig, ManualConfigReadsBackAsTheSameLayer) {
  const auto c = saved_config(manual({"--activation", "gelu", "--save-tensors", (kTemp / "moebench_s").string()}));
  const fs::path file = kTemp / "moebench_saved_manual.json";
  std::ofstream(file) << c.dump();
  const BenchmarkPlan again = plan_for({"--model-path", file.string()});
  EXPECT_EQ(again.problem.shape.describe(), "8 experts, top-2, hidden 64, intermediate 96, gelu");
  EXPECT_EQ(again.problem.shape.router.describe(), "softmax, renormalized");
  fs::remove(file);
}

struct FamilyCase {
  std::string config;
  std::string family;
  std::string naming;
};

void PrintTo(const FamilyCase& c, std::ostream* os) { *os << c.family; }

class SavedConfigFamilies : public ::testing::TestWithParam<FamilyCase> {};

TEST_P(SavedConfigFamilies, KeepTheConfigAsReadAndNameTheWeightsAsTheirCheckpoints) {
  const fs::path dir = testing::make_temp_dir("moebench-saved-family");  // ctest runs each family at once
  const fs::path file = dir / "config.json";
  std::ofstream(file) << GetParam().config;
  const auto c = saved_config({"--model-path", file.string(), "--save-tensors", (kTemp / "moebench_s").string()});
  const auto read = nlohmann::json::parse(GetParam().config);
  for (const auto& [key, value] : read.items()) EXPECT_EQ(c[key], value) << key;
  EXPECT_EQ(c["_moebench"]["family"], GetParam().family);
  EXPECT_EQ(c["_moebench"]["weight_naming"], GetParam().naming);
  fs::remove_all(dir);
}

// A config of `model_type` (and `extra` keys) with tiny sizes.
std::string family_config(const std::string& model_type, const std::string& extra = "") {
  return R"({"model_type": ")" + model_type + "\", " + extra +
         R"("num_local_experts": 8, "num_experts_per_tok": 2, "hidden_size": 64, "intermediate_size": 32})";
}

INSTANTIATE_TEST_SUITE_P(
    Families, SavedConfigFamilies,
    ::testing::Values(FamilyCase{family_config("qwen3_moe"), "qwen3_moe", "per_expert_proj"},
                      FamilyCase{family_config("mixtral"), "mixtral", "mixtral"},
                      FamilyCase{family_config("gpt_oss"), "gpt_oss", "gpt_oss"},
                      FamilyCase{family_config("llama4_text"), "llama4_text", "llama4"},
                      FamilyCase{family_config("granitemoe"), "granitemoe", "granitemoe"},
                      FamilyCase{family_config("git", R"("architectures": ["Grok1ForCausalLM"], )"), "git", "mixtral"}),
    [](const ::testing::TestParamInfo<FamilyCase>& info) { return info.param.family; });

TEST(SavedConfig, DeepSeekRouterIsSpelledOut) {
  const fs::path file = kTemp / "moebench_saved_dsv3.json";
  std::ofstream(file) << R"({"model_type": "deepseek_v3", "n_routed_experts": 16, "num_experts_per_tok": 4,
                            "hidden_size": 64, "moe_intermediate_size": 32, "n_group": 4, "topk_group": 2})";
  const auto m =
      saved_config({"--model-path", file.string(), "--save-tensors", (kTemp / "moebench_s").string()})["_moebench"];
  EXPECT_EQ(m["router"]["scoring"], "sigmoid");
  EXPECT_EQ(m["router"]["topk_method"], "noaux_tc");
  EXPECT_EQ(m["router"]["n_group"], 4);
  EXPECT_EQ(m["router"]["topk_group"], 2);
  EXPECT_EQ(m["router"]["routed_scaling_factor"], 2.5);
  EXPECT_EQ(m["weight_naming"], "per_expert_proj");
  fs::remove(file);
}

// --dtype fp8: the config says so (_moebench.dtype) and carries the quantization_config that
// --dtype model reads as fp8, so that the saved folder reruns as the run it saved.
TEST(SavedConfig, Fp8ManualRunGetsAQuantizationConfigThatDtypeModelFollows) {
  const auto c = saved_config(manual({"--dtype", "fp8", "--save-tensors", (kTemp / "moebench_s").string()}));
  EXPECT_EQ(c["_moebench"]["dtype"], "fp8-b128");
  EXPECT_EQ(c["quantization_config"], nlohmann::json::parse(R"({"activation_scheme": "dynamic", "fmt": "e4m3",
                                                   "quant_method": "fp8", "weight_block_size": [128, 128]})"));
  const fs::path dir = testing::make_temp_dir("moebench-saved-fp8");
  std::ofstream(dir / "config.json") << c.dump();
  const BenchmarkPlan again = plan_for({"--model-path", (dir / "config.json").string(), "--dtype", "model"});
  EXPECT_EQ(again.problem.dtype, WeightDtype::kFp8Block128);
  EXPECT_EQ(again.problem.shape.describe(), "8 experts, top-2, hidden 64, intermediate 96, silu");
  fs::remove_all(dir);
  const auto bf16 = saved_config(manual({"--save-tensors", (kTemp / "moebench_s").string()}));
  EXPECT_FALSE(bf16.contains("quantization_config"));
}

// A config's own fp8 quantization_config stays as written; one without gets --dtype fp8's; one in
// another format (gpt-oss's mxfp4) is replaced, and kept in _moebench.
TEST(SavedConfig, Fp8RunOfAModelConfigDescribesTheSavedWeights) {
  const fs::path dir = testing::make_temp_dir("moebench-saved-fp8");
  const auto saved_fp8 = [&](const std::string& config) {
    std::ofstream(dir / "config.json") << config;
    return saved_config(
        {"--model-path", (dir / "config.json").string(), "--dtype", "fp8", "--save-tensors", (kTemp / "s").string()});
  };
  const std::string own = R"({"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic",
                              "weight_block_size": [128, 128], "modules_to_not_convert": ["gate"]})";
  auto c = saved_fp8(family_config("qwen3_moe", R"("quantization_config": )" + own + ", "));
  EXPECT_EQ(c["quantization_config"], nlohmann::json::parse(own));
  EXPECT_FALSE(c["_moebench"].contains("model_quantization_config"));
  c = saved_fp8(family_config("qwen3_moe"));
  EXPECT_EQ(c["quantization_config"]["quant_method"], "fp8");
  EXPECT_EQ(c["_moebench"]["dtype"], "fp8-b128");
  c = saved_fp8(family_config("gpt_oss", R"("quantization_config": {"quant_method": "mxfp4"}, )"));
  EXPECT_EQ(c["quantization_config"]["weight_block_size"], nlohmann::json::parse("[128, 128]"));
  EXPECT_EQ(c["_moebench"]["model_quantization_config"], nlohmann::json::parse(R"({"quant_method": "mxfp4"})"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace moebench
