// The built-in presets: each loads and gives the shape recorded here (from the real configs, see
// models/presets/*.json), lookups ignore case, and unknown ids get the closest names.
#include <gtest/gtest.h>

#include <set>

#include "model/model_list.hpp"
#include "model/presets.hpp"

namespace moebench {
namespace {

struct Expected {
  const char* name;
  std::int64_t experts, top_k, hidden, intermediate;
  Activation activation;
  bool renormalize;
  ScoringFunc scoring;
  int groups, topk_groups;
  double scale;
};

constexpr auto kSilu = Activation::kSilu;
constexpr auto kSoftmax = ScoringFunc::kSoftmax;

const Expected kPresets[] = {
    {"Qwen/Qwen1.5-MoE-A2.7B", 60, 4, 2048, 1408, kSilu, false, kSoftmax, 1, 1, 1.0},
    {"Qwen/Qwen2-57B-A14B", 64, 8, 3584, 2560, kSilu, false, kSoftmax, 1, 1, 1.0},
    {"Qwen/Qwen3-30B-A3B", 128, 8, 2048, 768, kSilu, true, kSoftmax, 1, 1, 1.0},
    {"Qwen/Qwen3-Coder-30B-A3B-Instruct", 128, 8, 2048, 768, kSilu, true, kSoftmax, 1, 1, 1.0},
    {"Qwen/Qwen3-235B-A22B", 128, 8, 4096, 1536, kSilu, true, kSoftmax, 1, 1, 1.0},
    {"mistralai/Mixtral-8x7B-v0.1", 8, 2, 4096, 14336, kSilu, true, kSoftmax, 1, 1, 1.0},
    {"mistralai/Mixtral-8x22B-v0.1", 8, 2, 6144, 16384, kSilu, true, kSoftmax, 1, 1, 1.0},
    {"deepseek-ai/DeepSeek-V2-Lite", 64, 6, 2048, 1408, kSilu, false, kSoftmax, 1, 1, 1.0},
    {"deepseek-ai/DeepSeek-V3", 256, 8, 7168, 2048, kSilu, true, ScoringFunc::kSigmoid, 8, 4, 2.5},
    {"openai/gpt-oss-20b", 32, 4, 2880, 2880, Activation::kSwigluOai, true, kSoftmax, 1, 1, 1.0},
    {"openai/gpt-oss-120b", 128, 4, 2880, 2880, Activation::kSwigluOai, true, kSoftmax, 1, 1, 1.0},
    {"xai-org/grok-2", 8, 2, 8192, 16384, Activation::kGelu, false, kSoftmax, 1, 1, 1.0},
};

TEST(ModelPresets, EveryPresetGivesItsRecordedShape) {
  for (const Expected& e : kPresets) {
    SCOPED_TRACE(e.name);
    const PresetSource* preset = find_preset(e.name);
    ASSERT_NE(preset, nullptr);
    const MoeShape s = preset_shape(*preset);
    EXPECT_EQ(s.model_name, e.name);
    EXPECT_EQ(s.num_experts, e.experts);
    EXPECT_EQ(s.top_k, e.top_k);
    EXPECT_EQ(s.hidden_size, e.hidden);
    EXPECT_EQ(s.intermediate_size, e.intermediate);
    EXPECT_EQ(s.activation, e.activation);
    EXPECT_EQ(s.router.renormalize, e.renormalize);
    EXPECT_EQ(s.router.scoring, e.scoring);
    EXPECT_EQ(s.router.num_groups, e.groups);
    EXPECT_EQ(s.router.topk_groups, e.topk_groups);
    EXPECT_DOUBLE_EQ(s.router.routed_scaling_factor, e.scale);
  }
}

TEST(ModelPresets, NoPresetWithoutARecordedShape) {
  std::set<std::string> expected;
  for (const Expected& e : kPresets) expected.insert(e.name);
  for (const PresetSource& preset : preset_sources()) EXPECT_TRUE(expected.count(preset.name)) << preset.name;
  EXPECT_EQ(preset_sources().size(), std::size(kPresets));
}

TEST(ModelPresets, LookupIgnoresCase) {
  const PresetSource* preset = find_preset("qwen/qwen3-coder-30b-a3b-instruct");
  ASSERT_NE(preset, nullptr);
  EXPECT_STREQ(preset->name, "Qwen/Qwen3-Coder-30B-A3B-Instruct");
  EXPECT_EQ(find_preset("Qwen/Qwen2.5-MoE-A2.7B"), nullptr);
}

TEST(ModelPresets, ClosestNamesForTheSeedsMisspeltModel) {
  // The seed README's Qwen/Qwen2.5-MoE-A2.7B does not exist; Qwen1.5-MoE-A2.7B is what it meant.
  const auto names = closest_preset_names("Qwen/Qwen2.5-MoE-A2.7B");
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(names[0], "Qwen/Qwen1.5-MoE-A2.7B");
  EXPECT_EQ(closest_preset_names("DEEPSEEK-AI/deepseek-v3", 1), std::vector<std::string>{"deepseek-ai/DeepSeek-V3"});
  EXPECT_EQ(closest_preset_names("grok2", 1), std::vector<std::string>{"xai-org/grok-2"});
}

TEST(ModelPresets, ListShowsEveryPresetWithItsShape) {
  const std::string list = format_model_list();
  for (const Expected& e : kPresets) EXPECT_NE(list.find(e.name), std::string::npos) << e.name;
  EXPECT_NE(list.find("experts  top-k  hidden  intermediate  activation  router"), std::string::npos) << list;
  EXPECT_NE(list.find("sigmoid, grouped top-k (8 groups, best 4), renormalized, scaled x2.5"), std::string::npos)
      << list;
  EXPECT_NE(list.find("swigluoai"), std::string::npos);
}

}  // namespace
}  // namespace moebench
