// --save-tensors end to end on the CPU: the files of a run, the mesh layouts, the weights limit, the
// naming of each model family, --dtype fp8's weights, and an unwritable folder refused before
// anything runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "support/safetensors_reader.hpp"
#include "support/tiny_run.hpp"

namespace moebench {
namespace {

namespace fs = std::filesystem;
using testing::read_safetensors;
using testing::run_process;

const std::string kBinary = MOEBENCH_BINARY;

std::vector<std::string> tiny(std::vector<std::string> extra) {
  extra.insert(extra.begin(), {"--output-format", "csv"});
  return testing::tiny_cpu_run(2, extra);
}

float bf16_value(std::uint16_t bits) {
  const std::uint32_t word = static_cast<std::uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &word, sizeof value);
  return value;
}

class SaveTensors : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir("moebench-save"); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(SaveTensors, EveryCaseWeightsAndConfig) {
  const std::string out = dir_ + "/tensors";
  const auto r = run_process(kBinary, tiny({"--num-tokens", "5", "16", "--scenarios", "random", "balanced", "--check",
                                            "--output-file", dir_ + "/results", "--save-tensors", out}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(out)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"case_balanced_T16.safetensors", "case_balanced_T5.safetensors",
                                             "case_random_T16.safetensors", "case_random_T5.safetensors", "config.json",
                                             "weights.safetensors"}));
  const auto c = read_safetensors(out + "/case_balanced_T16.safetensors");
  EXPECT_EQ(c.tensors.at("x").shape, (std::vector<std::int64_t>{16, 64}));
  EXPECT_EQ(c.tensors.at("router_logits").shape, (std::vector<std::int64_t>{16, 8}));
  EXPECT_EQ(c.tensors.at("topk_ids").shape, (std::vector<std::int64_t>{16, 2}));
  // balanced: token t prefers experts (t*k + j) mod E, in the order of their noisy scores.
  const auto ids = c.tensors.at("topk_ids").values<std::int32_t>();
  for (std::size_t t = 0; t < 16; ++t) {
    const auto low = static_cast<std::int32_t>(2 * t % 8);
    EXPECT_EQ(std::min(ids[2 * t], ids[2 * t + 1]), low) << t;
    EXPECT_EQ(std::max(ids[2 * t], ids[2 * t + 1]), low + 1) << t;
  }
  const auto weights = c.tensors.at("topk_weights").values<float>();
  for (std::size_t t = 0; t < 16; ++t) EXPECT_NEAR(weights[2 * t] + weights[2 * t + 1], 1.0f, 1e-6);
  // On the CPU both paths add the same two terms: the check is 0, the outputs equal.
  EXPECT_EQ(c.tensors.at("output.fused").bytes, c.tensors.at("output.epmoe").bytes);
  EXPECT_EQ(c.metadata.at("implementations"), "fused,epmoe");
  EXPECT_NE(c.metadata.at("command_line").find("--save-tensors " + out), std::string::npos);
  const auto w = read_safetensors(out + "/weights.safetensors");
  EXPECT_EQ(w.tensors.size(), 24u);
  EXPECT_EQ(w.tensors.at("experts.7.up_proj.weight").shape, (std::vector<std::int64_t>{96, 64}));
  const auto config = nlohmann::json::parse(testing::read_file(out + "/config.json"));
  EXPECT_EQ(config["model_type"], "moebench_manual");
  EXPECT_EQ(config["_moebench"]["weight_naming"], "per_expert_proj");
}

// The mesh's devices gather to the same global tensors: inputs and routing alike, outputs within
// the rounding of a different summation order (TP sums partial products).
TEST_F(SaveTensors, MeshLayoutsSaveTheSameTensors) {
  const auto one = run_process(kBinary, tiny({"--num-tokens", "21", "--scenarios", "random", "--output-file",
                                              dir_ + "/one", "--save-tensors", dir_ + "/one"}));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const auto mesh =
      run_process(kBinary, tiny({"--num-tokens", "21", "--scenarios", "random", "--tp-size", "4", "--ep-size", "2",
                                 "--output-file", dir_ + "/mesh", "--save-tensors", dir_ + "/mesh"}));
  ASSERT_EQ(mesh.exit_code, 0) << mesh.err;
  const auto a = read_safetensors(dir_ + "/one/case_random_T21.safetensors");
  const auto b = read_safetensors(dir_ + "/mesh/case_random_T21.safetensors");
  for (const char* name : {"x", "router_logits", "topk_ids", "topk_weights"})
    EXPECT_EQ(a.tensors.at(name).bytes, b.tensors.at(name).bytes) << name;
  for (const char* name : {"output.fused", "output.epmoe"}) {
    const auto va = a.tensors.at(name).values<std::uint16_t>(), vb = b.tensors.at(name).values<std::uint16_t>();
    ASSERT_EQ(va.size(), vb.size());
    for (std::size_t i = 0; i < va.size(); ++i)
      ASSERT_NEAR(bf16_value(va[i]), bf16_value(vb[i]), 1e-2 * std::abs(bf16_value(va[i])) + 1e-6) << name << " " << i;
  }
  EXPECT_EQ(a.tensors.size(), b.tensors.size());
}

TEST_F(SaveTensors, OneImplementationSavesOneOutput) {
  const auto r =
      run_process(kBinary, tiny({"--num-tokens", "3", "--scenarios", "imbalanced", "--imbalance-factor", "2",
                                 "--implementations", "epmoe", "--output-file", dir_ + "/r", "--save-tensors", dir_}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto c = read_safetensors(dir_ + "/case_imbalanced_T3.safetensors");
  EXPECT_EQ(c.order.back(), "output.epmoe");
  EXPECT_EQ(c.tensors.count("output.fused"), 0u);
  EXPECT_EQ(c.metadata.at("implementations"), "epmoe");
}

TEST_F(SaveTensors, WeightsOverTheLimitAreOneLineAndNoFile) {
  const auto r = run_process(kBinary, tiny({"--num-tokens", "4", "--scenarios", "random", "--output-file", dir_ + "/r",
                                            "--save-tensors", dir_ + "/t", "--save-tensors-max-bytes", "1000"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err,
            "bench_fused_vs_epmoe: warning: weights.safetensors left out: 294912 bytes > --save-tensors-max-bytes 1000 "
            "(raise it to save them)\n");
  EXPECT_FALSE(fs::exists(dir_ + "/t/weights.safetensors"));
  EXPECT_TRUE(fs::exists(dir_ + "/t/case_random_T4.safetensors"));
  EXPECT_TRUE(fs::exists(dir_ + "/t/config.json"));
}

TEST_F(SaveTensors, UnwritableFolderIsRefusedBeforeAnythingRuns) {
  std::ofstream(dir_ + "/file") << "x";
  const auto r = run_process(
      kBinary, tiny({"--num-tokens", "4", "--output-file", dir_ + "/r", "--save-tensors", dir_ + "/file/tensors"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "bench_fused_vs_epmoe: error: cannot save tensors in --save-tensors " + dir_ +
                       "/file/tensors: " + dir_ + "/file is not a directory\n");
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(fs::exists(dir_ + "/r.csv"));
}

// The saved config.json is a model config: --model-path reads it back as the same layer, and the
// run makes the same tensors.
TEST_F(SaveTensors, SavedConfigRunsTheSameLayerAgain) {
  const auto first =
      run_process(kBinary, tiny({"--num-tokens", "6", "--scenarios", "random", "--activation", "swigluoai",
                                 "--output-file", dir_ + "/r", "--save-tensors", dir_ + "/a"}));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const auto again = run_process(kBinary, {"--model-path", dir_ + "/a", "--num-tokens", "6", "--scenarios", "random",
                                           "--device", "cpu", "--benchmark-iters", "1", "--output-format", "csv",
                                           "--output-file", dir_ + "/r2", "--save-tensors", dir_ + "/b"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const auto a = read_safetensors(dir_ + "/a/case_random_T6.safetensors");
  const auto b = read_safetensors(dir_ + "/b/case_random_T6.safetensors");
  for (const auto& [name, tensor] : a.tensors) EXPECT_EQ(tensor.bytes, b.tensors.at(name).bytes) << name;
  EXPECT_EQ(b.metadata.at("activation"), "swigluoai");
  const auto wa = read_safetensors(dir_ + "/a/weights.safetensors");
  const auto wb = read_safetensors(dir_ + "/b/weights.safetensors");
  EXPECT_EQ(wa.order, wb.order);
  for (const auto& [name, tensor] : wa.tensors) EXPECT_EQ(tensor.bytes, wb.tensors.at(name).bytes) << name;
}

// --dtype fp8: e4m3 weights with their block scales, the same on one device and on a mesh (H = 192:
// a narrow last block), the config rerunnable as fp8, the limit counting one byte a value.
TEST_F(SaveTensors, Fp8SavesE4m3WeightsWithTheirScalesOnEveryLayout) {
  const auto fp8 = [&](const std::string& name, std::vector<std::string> extra) {
    std::vector<std::string> args{"--num-experts",
                                  "8",
                                  "--num-experts-per-tok",
                                  "2",
                                  "--hidden-size",
                                  "192",
                                  "--intermediate-size",
                                  "256",
                                  "--dtype",
                                  "fp8",
                                  "--device",
                                  "cpu",
                                  "--benchmark-iters",
                                  "1",
                                  "--num-tokens",
                                  "9",
                                  "--scenarios",
                                  "random",
                                  "--output-format",
                                  "csv",
                                  "--output-file",
                                  dir_ + "/" + name,
                                  "--save-tensors",
                                  dir_ + "/" + name};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_process(kBinary, args);
  };
  const auto one = fp8("one", {});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const auto mesh = fp8("mesh", {"--tp-size", "4", "--ep-size", "2"});
  ASSERT_EQ(mesh.exit_code, 0) << mesh.err;
  const auto a = read_safetensors(dir_ + "/one/weights.safetensors");
  const auto b = read_safetensors(dir_ + "/mesh/weights.safetensors");
  EXPECT_EQ(a.order, b.order);
  for (const auto& [name, tensor] : a.tensors) EXPECT_EQ(tensor.bytes, b.tensors.at(name).bytes) << name;
  EXPECT_EQ(a.tensors.size(), 48u);
  EXPECT_EQ(a.order[0], "experts.0.gate_proj.weight");
  EXPECT_EQ(a.order[1], "experts.0.gate_proj.weight_scale_inv");
  EXPECT_EQ(a.tensors.at("experts.7.down_proj.weight").dtype, "F8_E4M3");
  EXPECT_EQ(a.tensors.at("experts.7.down_proj.weight").shape, (std::vector<std::int64_t>{192, 256}));
  EXPECT_EQ(a.tensors.at("experts.7.down_proj.weight_scale_inv").dtype, "F32");
  EXPECT_EQ(a.tensors.at("experts.7.down_proj.weight_scale_inv").shape, (std::vector<std::int64_t>{2, 2}));
  EXPECT_EQ(a.metadata.at("dtype"), "fp8-b128");
  EXPECT_EQ(read_safetensors(dir_ + "/mesh/case_random_T9.safetensors").metadata.at("dtype"), "fp8-b128");
  const auto config = nlohmann::json::parse(testing::read_file(dir_ + "/mesh/config.json"));
  EXPECT_EQ(config["_moebench"]["dtype"], "fp8-b128");
  EXPECT_EQ(config["quantization_config"]["quant_method"], "fp8");

  const auto over = fp8("over", {"--save-tensors-max-bytes", "1180031"});
  ASSERT_EQ(over.exit_code, 0) << over.err;
  EXPECT_NE(over.err.find("left out: 1180032 bytes > --save-tensors-max-bytes 1180031"), std::string::npos) << over.err;
}

struct Family {
  std::string model_type;
  std::vector<std::string> weight_names;
};

void PrintTo(const Family& family, std::ostream* os) { *os << family.model_type; }

class SaveTensorsFamily : public ::testing::TestWithParam<Family> {};

// Each family's weights under its checkpoints' names, from a tiny config of that model_type.
TEST_P(SaveTensorsFamily, WeightsCarryTheCheckpointNames) {
  const std::string dir = testing::make_temp_dir("moebench-save-family");
  std::ofstream(dir + "/config.json") << R"({"model_type": ")" << GetParam().model_type
                                      << R"(", "num_local_experts": 4, "num_experts_per_tok": 2, "hidden_size": 32,
                                            "intermediate_size": 16})";
  const auto r = run_process(kBinary, {"--model-path", dir, "--num-tokens", "7", "--scenarios", "random", "--device",
                                       "cpu", "--benchmark-iters", "1", "--output-format", "csv", "--output-file",
                                       dir + "/r", "--save-tensors", dir + "/t"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto w = read_safetensors(dir + "/t/weights.safetensors");
  EXPECT_EQ(w.order, GetParam().weight_names);
  EXPECT_TRUE(fs::exists(dir + "/t/case_random_T7.safetensors"));
  fs::remove_all(dir);
}

std::vector<std::string> per_expert(const char* gate, const char* up, const char* down) {
  std::vector<std::string> names;
  for (int e = 0; e < 4; ++e)
    for (const char* p : {gate, up, down}) names.push_back("experts." + std::to_string(e) + "." + p + ".weight");
  return names;
}

INSTANTIATE_TEST_SUITE_P(Families, SaveTensorsFamily,
                         ::testing::Values(Family{"olmoe", per_expert("gate_proj", "up_proj", "down_proj")},
                                           Family{"mixtral", per_expert("w1", "w3", "w2")},
                                           Family{"gpt_oss",
                                                  {"experts.gate_up_proj", "experts.gate_up_proj_bias",
                                                   "experts.down_proj", "experts.down_proj_bias"}},
                                           Family{"llama4_text", {"experts.gate_up_proj", "experts.down_proj"}},
                                           Family{"granitemoe", {"input_linear.weight", "output_linear.weight"}}),
                         [](const ::testing::TestParamInfo<Family>& info) { return info.param.model_type; });

}  // namespace
}  // namespace moebench
