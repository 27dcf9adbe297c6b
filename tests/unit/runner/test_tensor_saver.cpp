// What --save-tensors writes, in-process: each case's tensors, the weights under their limit (bf16,
// or e4m3 with their scales), the config, and a failed write that stops the saving without stopping
// anything else.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/case_inputs.hpp"
#include "core/fp8_weights.hpp"
#include "runner/tensor_saver.hpp"
#include "support/process.hpp"
#include "support/safetensors_reader.hpp"

namespace moebench {
namespace {

namespace fs = std::filesystem;

BenchmarkPlan tiny_plan(const std::string& dir) {
  BenchmarkPlan plan;
  MoeShape& s = plan.problem.shape;
  s.num_experts = 4;
  s.top_k = 2;
  s.hidden_size = 8;
  s.intermediate_size = 6;
  plan.seed = 7;
  plan.command_line = "bench_fused_vs_epmoe --x 'y'";
  plan.save_tensors.dir = dir;
  plan.save_tensors.config_json = "{\"model_type\": \"moebench_manual\"}\n";
  return plan;
}

struct SavedCaseInputs {
  CaseInputs inputs;
  Routing routing;
  std::vector<float> fused, epmoe;
};

SavedCaseInputs tiny_case(const BenchmarkPlan& plan, std::int64_t tokens) {
  const MoeShape& s = plan.problem.shape;
  SavedCaseInputs c;
  c.inputs = make_case_inputs(s, BenchCase{Scenario::kRandom, tokens}, 3.0, plan.seed);
  c.routing = route_all(c.inputs.router_logits, tokens, 4, 2, s.router);
  c.fused.assign(static_cast<std::size_t>(tokens * 8), 0.25f);
  // 1 + 2^-8 lies halfway between two bf16 values: it rounds to the even one, 1.0.
  c.fused[0] = 1.00390625f;
  c.epmoe.assign(static_cast<std::size_t>(tokens * 8), -0.5f);
  return c;
}

class TensorSaverTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir("moebench-saver"); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(TensorSaverTest, CaseFileHoldsInputsRoutingAndOutputs) {
  const BenchmarkPlan plan = tiny_plan(dir_ + "/out");
  TensorSaver saver(plan, nullptr);
  const SavedCaseInputs c = tiny_case(plan, 5);
  const std::vector<ImplOutput> outputs{{ImplKind::kFused, c.fused}, {ImplKind::kEpMoe, c.epmoe}};
  saver.save_case(c.inputs, c.routing, outputs);
  ASSERT_FALSE(saver.failed());
  const auto file = testing::read_safetensors(dir_ + "/out/case_random_T5.safetensors");
  EXPECT_EQ(file.order, (std::vector<std::string>{"x", "router_logits", "topk_ids", "topk_weights", "output.fused",
                                                  "output.epmoe"}));
  EXPECT_EQ(file.tensors.at("x").dtype, "BF16");
  EXPECT_EQ(file.tensors.at("x").shape, (std::vector<std::int64_t>{5, 8}));
  EXPECT_EQ(file.tensors.at("x").values<bf16_bits>(), c.inputs.hidden_states);
  EXPECT_EQ(file.tensors.at("router_logits").dtype, "F32");
  EXPECT_EQ(file.tensors.at("router_logits").shape, (std::vector<std::int64_t>{5, 4}));
  EXPECT_EQ(file.tensors.at("router_logits").values<float>(), c.inputs.router_logits);
  EXPECT_EQ(file.tensors.at("topk_ids").dtype, "I32");
  EXPECT_EQ(file.tensors.at("topk_ids").values<std::int32_t>(), c.routing.expert_ids);
  EXPECT_EQ(file.tensors.at("topk_weights").shape, (std::vector<std::int64_t>{5, 2}));
  EXPECT_EQ(file.tensors.at("topk_weights").values<float>(), c.routing.weights);
  const auto fused = file.tensors.at("output.fused").values<bf16_bits>();
  EXPECT_EQ(fused[0], 0x3f80);  // ties to even
  EXPECT_EQ(fused[1], float_to_bf16(0.25f));
  EXPECT_EQ(file.tensors.at("output.epmoe").values<bf16_bits>()[3], float_to_bf16(-0.5f));
  EXPECT_EQ(file.metadata.at("implementations"), "fused,epmoe");
  EXPECT_EQ(file.metadata.at("scenario"), "random");
  EXPECT_EQ(file.metadata.at("num_tokens"), "5");
  EXPECT_EQ(file.metadata.at("seed"), "7");
  EXPECT_EQ(file.metadata.at("activation"), "silu");
  EXPECT_EQ(file.metadata.at("dtype"), "bf16");
  EXPECT_EQ(file.metadata.at("format"), "pt");
  EXPECT_EQ(file.metadata.at("command_line"), plan.command_line);
  EXPECT_EQ(file.metadata.at("router"), "softmax, renormalized");
  EXPECT_EQ(file.metadata.at("model"), "manual config: 4 experts, top-2, hidden 8, intermediate 6, silu");
}

TEST_F(TensorSaverTest, ConfigIsWrittenAsThePlanHoldsIt) {
  const BenchmarkPlan plan = tiny_plan(dir_ + "/new/folder");
  TensorSaver saver(plan, nullptr);
  saver.save_config();
  EXPECT_EQ(testing::read_file(dir_ + "/new/folder/config.json"), plan.save_tensors.config_json);
}

TEST_F(TensorSaverTest, WeightsUnderTheLimitAreSavedWithTheirNaming) {
  BenchmarkPlan plan = tiny_plan(dir_);
  plan.save_tensors.max_weight_bytes = 3 * 4 * 8 * 6 * 2;  // exactly their size
  TensorSaver saver(plan, nullptr);
  const EpWeights weights = generate_ep_weights(plan.problem.shape, plan.seed);
  saver.save_weights(weights);
  const auto file = testing::read_safetensors(dir_ + "/weights.safetensors");
  EXPECT_EQ(file.tensors.size(), 12u);
  EXPECT_EQ(file.tensors.at("experts.3.down_proj.weight").shape, (std::vector<std::int64_t>{8, 6}));
  EXPECT_EQ(file.metadata.at("weight_naming"), "per_expert_proj");
  EXPECT_EQ(file.metadata.at("seed"), "7");
}

TEST_F(TensorSaverTest, WeightsOverTheLimitAreLeftOutWithOneLineAndAnOldFileGoes) {
  BenchmarkPlan plan = tiny_plan(dir_);
  plan.save_tensors.max_weight_bytes = 3 * 4 * 8 * 6 * 2 - 1;
  testing::run_process("/bin/sh", {"-c", "echo stale > " + dir_ + "/weights.safetensors"});
  TensorSaver saver(plan, nullptr);
  ::testing::internal::CaptureStderr();
  saver.save_weights(generate_ep_weights(plan.problem.shape, plan.seed));
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err,
            "bench_fused_vs_epmoe: warning: weights.safetensors left out: 1152 bytes > --save-tensors-max-bytes 1151 "
            "(raise it to save them); removed the weights.safetensors of an earlier run\n");
  EXPECT_FALSE(fs::exists(dir_ + "/weights.safetensors"));
  EXPECT_FALSE(saver.failed());
}

TEST_F(TensorSaverTest, FailedWriteIsOneLineAndStopsTheSaving) {
  std::FILE* blocker = std::fopen((dir_ + "/file").c_str(), "w");
  std::fclose(blocker);
  const BenchmarkPlan plan = tiny_plan(dir_ + "/file/out");
  TensorSaver saver(plan, nullptr);
  ::testing::internal::CaptureStderr();
  saver.save_config();
  const SavedCaseInputs c = tiny_case(plan, 3);
  const std::vector<ImplOutput> outputs{{ImplKind::kFused, c.fused}};
  saver.save_case(c.inputs, c.routing, outputs);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(saver.failed());
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_EQ(err.rfind("bench_fused_vs_epmoe: error: --save-tensors: cannot create directory " + dir_ + "/file/out", 0),
            0u)
      << err;
}

// --dtype fp8: the codes and scales the run computes with, the bytes they take, fp8-b128 in the metadata.
TEST_F(TensorSaverTest, Fp8WeightsAreE4m3WithTheirScalesAndCountTheirOwnBytes) {
  BenchmarkPlan plan = tiny_plan(dir_);
  plan.problem.dtype = WeightDtype::kFp8Block128;
  constexpr std::int64_t kBytes = 3 * 4 * 8 * 6 * 1 + 3 * 4 * 4;  // one byte a value, one f32 scale a matrix
  plan.save_tensors.max_weight_bytes = kBytes;
  const EpWeights weights = generate_ep_weights(plan.problem.shape, plan.seed);
  TensorSaver saver(plan, nullptr);
  saver.save_weights(weights);
  const auto file = testing::read_safetensors(dir_ + "/weights.safetensors");
  EXPECT_EQ(file.tensors.size(), 24u);
  const auto& down = file.tensors.at("experts.3.down_proj.weight");
  EXPECT_EQ(down.dtype, "F8_E4M3");
  EXPECT_EQ(down.shape, (std::vector<std::int64_t>{8, 6}));
  const auto& scale = file.tensors.at("experts.3.down_proj.weight_scale_inv");
  EXPECT_EQ(scale.dtype, "F32");
  EXPECT_EQ(scale.shape, (std::vector<std::int64_t>{1, 1}));
  const Fp8EpWeights expected = quantize_ep_weights(weights);
  EXPECT_EQ(scale.values<float>(), std::vector<float>{expected.down.scales[3]});
  const auto codes = down.values<e4m3_bits>();
  for (std::int64_t h = 0; h < 8; ++h)
    for (std::int64_t i = 0; i < 6; ++i)
      EXPECT_EQ(codes[static_cast<std::size_t>(h * 6 + i)], expected.down.code(3, i, h));
  EXPECT_EQ(file.metadata.at("dtype"), "fp8-b128");

  plan.save_tensors.max_weight_bytes = kBytes - 1;
  TensorSaver over(plan, nullptr);
  ::testing::internal::CaptureStderr();
  over.save_weights(weights);
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("left out: 624 bytes > --save-tensors-max-bytes 623"),
            std::string::npos);
}

TEST_F(TensorSaverTest, Fp8CaseFilesSayTheDtypeAndKeepBf16Tensors) {
  BenchmarkPlan plan = tiny_plan(dir_);
  plan.problem.dtype = WeightDtype::kFp8Block128;
  TensorSaver saver(plan, nullptr);
  const SavedCaseInputs c = tiny_case(plan, 3);
  const std::vector<ImplOutput> outputs{{ImplKind::kFused, c.fused}};
  saver.save_case(c.inputs, c.routing, outputs);
  const auto file = testing::read_safetensors(dir_ + "/case_random_T3.safetensors");
  EXPECT_EQ(file.metadata.at("dtype"), "fp8-b128");
  EXPECT_EQ(file.tensors.at("x").dtype, "BF16");
  EXPECT_EQ(file.tensors.at("output.fused").dtype, "BF16");
}

TEST(CaseFileName, SpellsScenarioAndTokens) {
  EXPECT_EQ(case_file_name(BenchCase{Scenario::kImbalanced, 4096}), "case_imbalanced_T4096.safetensors");
}

}  // namespace
}  // namespace moebench
