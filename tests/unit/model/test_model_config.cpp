// config.json parsing: every key variant of spec.md, text_config, the router fields, model-type
// defaults, and each kind of bad value (one UsageError naming the key).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "core/errors.hpp"
#include "model/model_config.hpp"
#include "support/process.hpp"

namespace moebench {
namespace {

using nlohmann::json;

// A small, valid Qwen-style config that each test edits.
json base_config() {
  return json{{"model_type", "qwen3_moe"},    {"num_experts", 16},
              {"num_experts_per_tok", 4},     {"hidden_size", 256},
              {"moe_intermediate_size", 128}, {"intermediate_size", 1024},
              {"hidden_act", "silu"},         {"norm_topk_prob", true}};
}

std::string error_of(const json& config) {
  try {
    shape_from_config(config, "cfg.json");
  } catch (const UsageError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    return message;
  }
  ADD_FAILURE() << "accepted: " << config.dump();
  return "";
}

#define EXPECT_CONFIG_ERROR(config, text)                          \
  do {                                                             \
    const std::string message_ = error_of(config);                 \
    EXPECT_NE(message_.find(text), std::string::npos) << message_; \
    EXPECT_EQ(message_.rfind("cfg.json: ", 0), 0u) << message_;    \
  } while (0)

TEST(ModelConfig, ReadsTheQwenKeys) {
  const MoeShape s = shape_from_config(base_config(), "cfg.json");
  EXPECT_EQ(s.num_experts, 16);
  EXPECT_EQ(s.top_k, 4);
  EXPECT_EQ(s.hidden_size, 256);
  EXPECT_EQ(s.intermediate_size, 128);  // moe_intermediate_size before intermediate_size
  EXPECT_EQ(s.activation, Activation::kSilu);
  EXPECT_TRUE(s.router.renormalize);
  EXPECT_EQ(s.router.scoring, ScoringFunc::kSoftmax);
  EXPECT_FALSE(s.router.grouped());
}

TEST(ModelConfig, ExpertKeyVariantsInPrecedenceOrder) {
  json c = base_config();
  c.erase("num_experts");
  c["num_local_experts"] = 8;
  EXPECT_EQ(shape_from_config(c, "c").num_experts, 8);
  c.erase("num_local_experts");
  c["n_routed_experts"] = 64;
  EXPECT_EQ(shape_from_config(c, "c").num_experts, 64);
  c["num_experts"] = 32;  // first found wins
  EXPECT_EQ(shape_from_config(c, "c").num_experts, 32);
  c["num_experts"] = nullptr;  // null counts as absent
  EXPECT_EQ(shape_from_config(c, "c").num_experts, 64);
}

TEST(ModelConfig, TopKAndIntermediateVariants) {
  json c = base_config();
  c.erase("num_experts_per_tok");
  c["experts_per_token"] = 2;
  EXPECT_EQ(shape_from_config(c, "c").top_k, 2);
  c.erase("experts_per_token");
  c["moe_topk"] = 3;
  EXPECT_EQ(shape_from_config(c, "c").top_k, 3);
  c.erase("moe_intermediate_size");
  EXPECT_EQ(shape_from_config(c, "c").intermediate_size, 1024);  // Mixtral-style: the expert's size
}

TEST(ModelConfig, PerLayerListsThatAgreeAreOneValue) {
  json c = base_config();
  c["moe_topk"] = json::array({2, 2, 2});
  c.erase("num_experts_per_tok");
  c["moe_intermediate_size"] = json::array({96, 96});
  const MoeShape s = shape_from_config(c, "c");
  EXPECT_EQ(s.top_k, 2);
  EXPECT_EQ(s.intermediate_size, 96);
  c["moe_intermediate_size"] = json::array({96, 128});
  EXPECT_CONFIG_ERROR(c, "moe_intermediate_size differs between layers");
}

TEST(ModelConfig, TextConfigHoldsTheLanguageModel) {
  json text = base_config();
  text["num_experts"] = 128;
  const json c{{"model_type", "some_vl"},
               {"vision_config", {{"hidden_size", 1152}}},
               {"hidden_size", 9999},
               {"text_config", text}};
  const MoeShape s = shape_from_config(c, "cfg.json");
  EXPECT_EQ(s.num_experts, 128);
  EXPECT_EQ(s.hidden_size, 256);  // the text model's, not the top level's
  json bad = c;
  bad["text_config"]["hidden_size"] = "wide";
  EXPECT_CONFIG_ERROR(bad, "text_config.hidden_size must be an integer");
}

TEST(ModelConfig, NotAMoeNamesTheFile) {
  json c = base_config();
  c.erase("num_experts");
  EXPECT_CONFIG_ERROR(c, "not a MoE config");
  EXPECT_CONFIG_ERROR((json{{"text_config", {{"hidden_size", 8}}}}), "at the top level or in text_config");
  c["num_local_experts"] = 0;
  EXPECT_CONFIG_ERROR(c, "not a MoE config (num_local_experts is 0)");
  EXPECT_CONFIG_ERROR(json::array({1, 2}), "not a JSON object");
}

TEST(ModelConfig, WrongTypesNameTheKey) {
  auto with = [](const char* key, json value) {
    json c = base_config();
    c[key] = std::move(value);
    return c;
  };
  EXPECT_CONFIG_ERROR(with("num_experts", "128"), "num_experts must be an integer (got \"128\")");
  EXPECT_CONFIG_ERROR(with("num_experts", 128.5), "num_experts must be an integer");
  EXPECT_CONFIG_ERROR(with("num_experts_per_tok", true), "num_experts_per_tok must be an integer");
  EXPECT_CONFIG_ERROR(with("hidden_size", json::object({{"a", 1}})), "hidden_size must be an integer");
  EXPECT_CONFIG_ERROR(with("norm_topk_prob", "yes"), "norm_topk_prob must be true or false");
  EXPECT_CONFIG_ERROR(with("hidden_act", 3), "hidden_act must be a string");
  EXPECT_CONFIG_ERROR(with("scoring_func", 1), "scoring_func must be a string");
  EXPECT_CONFIG_ERROR(with("topk_method", false), "topk_method must be a string");
  EXPECT_CONFIG_ERROR(with("routed_scaling_factor", "2.5"), "routed_scaling_factor must be a number");
}

TEST(ModelConfig, AbsurdSizesNameTheKeyAndValue) {
  auto with = [](const char* key, json value) {
    json c = base_config();
    c[key] = std::move(value);
    return c;
  };
  EXPECT_CONFIG_ERROR(with("num_experts", -8), "num_experts must be positive (got -8)");
  EXPECT_CONFIG_ERROR(with("num_experts_per_tok", 0), "num_experts_per_tok must be positive (got 0)");
  EXPECT_CONFIG_ERROR(with("moe_intermediate_size", -1), "moe_intermediate_size must be positive (got -1)");
  EXPECT_CONFIG_ERROR(with("hidden_size", json(18446744073709551615ull)), "hidden_size is out of range");
  EXPECT_CONFIG_ERROR(with("routed_scaling_factor", -1.0), "routed_scaling_factor must be a positive number");
}

TEST(ModelConfig, MissingSizesListTheKeysLookedFor) {
  json c = base_config();
  c.erase("moe_intermediate_size");
  c.erase("intermediate_size");
  EXPECT_CONFIG_ERROR(c, "no intermediate size (moe_intermediate_size, intermediate_size)");
  c = base_config();
  c.erase("num_experts_per_tok");
  EXPECT_CONFIG_ERROR(c, "num_experts_per_tok, experts_per_token, moe_topk");
}

TEST(ModelConfig, ActivationNames) {
  json c = base_config();
  for (const char* name : {"gelu", "gelu_pytorch_tanh", "gelu_new"}) {
    c["hidden_act"] = name;
    EXPECT_EQ(shape_from_config(c, "c").activation, Activation::kGelu) << name;
  }
  c["hidden_act"] = "swigluoai";
  EXPECT_EQ(shape_from_config(c, "c").activation, Activation::kSwigluOai);
  c["hidden_act"] = "relu";
  EXPECT_CONFIG_ERROR(c, "hidden_act 'relu' is not implemented");
  c.erase("hidden_act");
  EXPECT_EQ(shape_from_config(c, "c").activation, Activation::kSilu);
}

TEST(ModelConfig, GptOssUsesClampedSwigluWhateverHiddenActSays) {
  json c{{"model_type", "gpt_oss"}, {"hidden_act", "silu"},    {"num_local_experts", 32}, {"num_experts_per_tok", 4},
         {"hidden_size", 64},       {"intermediate_size", 64}, {"swiglu_limit", 7.0}};
  MoeShape s = shape_from_config(c, "cfg.json");
  EXPECT_EQ(s.activation, Activation::kSwigluOai);
  EXPECT_TRUE(s.router.renormalize);  // softmax over the selected logits
  // gpt-oss's original/config.json: no model_type, swiglu_limit says what it is.
  const json original{{"num_experts", 128},
                      {"experts_per_token", 4},
                      {"hidden_size", 64},
                      {"intermediate_size", 64},
                      {"swiglu_limit", 7.0}};
  s = shape_from_config(original, "cfg.json");
  EXPECT_EQ(s.activation, Activation::kSwigluOai);
  EXPECT_EQ(s.top_k, 4);
  c["swiglu_limit"] = 10.0;
  EXPECT_CONFIG_ERROR(c, "swiglu_limit 10 is not implemented");
}

TEST(ModelConfig, RenormalizationDefaultsFollowTheModelType) {
  json c = base_config();
  c.erase("norm_topk_prob");
  EXPECT_FALSE(shape_from_config(c, "c").router.renormalize);  // Qwen's config default is false
  c["model_type"] = "mixtral";
  EXPECT_TRUE(shape_from_config(c, "c").router.renormalize);
  c["norm_topk_prob"] = false;  // an explicit key wins
  EXPECT_FALSE(shape_from_config(c, "c").router.renormalize);
  const json grok{{"architectures", {"Grok1ForCausalLM"}},
                  {"model_type", "git"},
                  {"num_local_experts", 8},
                  {"num_experts_per_tok", 2},
                  {"hidden_size", 64},
                  {"moe_intermediate_size", 32},
                  {"router_logit_softcapping", 30.0}};
  const MoeShape g = shape_from_config(grok, "c");
  EXPECT_FALSE(g.router.renormalize);
  EXPECT_EQ(g.activation, Activation::kGelu);  // Grok's experts are GELU; its config has no hidden_act
}

TEST(ModelConfig, DeepSeekRouterFields) {
  const json v3{{"model_type", "deepseek_v3"},
                {"n_routed_experts", 256},
                {"num_experts_per_tok", 8},
                {"hidden_size", 7168},
                {"moe_intermediate_size", 2048},
                {"norm_topk_prob", true},
                {"scoring_func", "sigmoid"},
                {"topk_method", "noaux_tc"},
                {"n_group", 8},
                {"topk_group", 4},
                {"routed_scaling_factor", 2.5}};
  const RouterConfig r = shape_from_config(v3, "c").router;
  EXPECT_EQ(r.scoring, ScoringFunc::kSigmoid);
  EXPECT_EQ(r.num_groups, 8);
  EXPECT_EQ(r.topk_groups, 4);
  EXPECT_EQ(r.group_score_top, 2);  // V3 scores a group by its best two experts
  EXPECT_DOUBLE_EQ(r.routed_scaling_factor, 2.5);
  EXPECT_TRUE(r.renormalize);

  json v2 = v3;
  v2["model_type"] = "deepseek_v2";
  v2["scoring_func"] = "softmax";
  v2["topk_method"] = "group_limited_greedy";
  v2["topk_group"] = 3;
  const RouterConfig r2 = shape_from_config(v2, "c").router;
  EXPECT_EQ(r2.scoring, ScoringFunc::kSoftmax);
  EXPECT_EQ(r2.topk_groups, 3);
  EXPECT_EQ(r2.group_score_top, 1);  // V2 scores a group by its best expert

  json lite = v2;
  lite["topk_method"] = "greedy";
  EXPECT_FALSE(shape_from_config(lite, "c").router.grouped());  // greedy ignores n_group
  lite["topk_method"] = "gready";                               // DeepSeek-V2's own misspelt default
  EXPECT_FALSE(shape_from_config(lite, "c").router.grouped());
}

TEST(ModelConfig, DeepSeekV3DefaultsWhenKeysAreAbsent) {
  const json v3{{"model_type", "deepseek_v3"},
                {"n_routed_experts", 64},
                {"num_experts_per_tok", 4},
                {"hidden_size", 64},
                {"moe_intermediate_size", 32}};
  const RouterConfig r = shape_from_config(v3, "c").router;
  EXPECT_EQ(r.scoring, ScoringFunc::kSigmoid);
  EXPECT_EQ(r.num_groups, 8);
  EXPECT_EQ(r.topk_groups, 4);
  EXPECT_DOUBLE_EQ(r.routed_scaling_factor, 2.5);
  EXPECT_TRUE(r.renormalize);
  json glm = v3;
  glm["model_type"] = "glm4_moe";
  glm["n_group"] = 1;
  glm["topk_group"] = 1;
  EXPECT_EQ(shape_from_config(glm, "c").router.scoring, ScoringFunc::kSigmoid);  // GLM-4.5 routes like V3
}

TEST(ModelConfig, UnimplementedRoutingStopsWithOneLine) {
  json c = base_config();
  c["scoring_func"] = "sqrtsoftplus";
  EXPECT_CONFIG_ERROR(c, "scoring_func 'sqrtsoftplus' is not implemented");
  c = base_config();
  c["topk_method"] = "expert_choice";
  EXPECT_CONFIG_ERROR(c, "topk_method 'expert_choice' is not implemented");
  c = base_config();
  c["model_type"] = "phimoe";
  EXPECT_CONFIG_ERROR(c, "SparseMixer");
  // DBRX: a MoE whose fields live under ffn_config; say so rather than "not a MoE".
  EXPECT_CONFIG_ERROR((json{{"model_type", "dbrx"}, {"d_model", 6144}, {"ffn_config", {{"moe_num_experts", 16}}}}),
                      "DBRX keeps its MoE fields under ffn_config");
  c = base_config();
  c["topk_method"] = "noaux_tc";
  c["n_group"] = 3;
  c["topk_group"] = 5;
  EXPECT_CONFIG_ERROR(c, "topk_group must be in [1, 3] (got 5)");
  c["n_group"] = 0;
  EXPECT_CONFIG_ERROR(c, "n_group must be in [1, 16] (got 0)");
}

class ModelConfigFile : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::make_temp_dir("moebench-config"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  std::string error_of_file(const std::string& path) {
    try {
      shape_from_config_file(path);
    } catch (const UsageError& e) {
      return e.what();
    }
    ADD_FAILURE() << "accepted " << path;
    return "";
  }
  std::string dir_;
};

TEST_F(ModelConfigFile, InvalidJsonSaysWhere) {
  const std::string path = write("config.json", "{\n  \"num_experts\": 8,\n  \"hidden_size\": ,\n}\n");
  const std::string message = error_of_file(path);
  EXPECT_NE(message.find(path + ":3:18: invalid JSON"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST_F(ModelConfigFile, MissingEmptyAndUnreadableFiles) {
  EXPECT_NE(error_of_file(dir_ + "/nope.json").find("does not exist"), std::string::npos);
  EXPECT_NE(error_of_file(write("empty.json", "")).find("empty file"), std::string::npos);
  EXPECT_NE(error_of_file(dir_).find("is not a regular file"), std::string::npos);
  std::filesystem::create_symlink(dir_ + "/gone", dir_ + "/dangling.json");
  EXPECT_NE(error_of_file(dir_ + "/dangling.json").find("dangling symlink"), std::string::npos);
  if (geteuid() != 0) {  // root reads anything
    const std::string locked = write("locked.json", "{}");
    std::filesystem::permissions(locked, std::filesystem::perms::none);
    EXPECT_NE(error_of_file(locked).find("cannot read model config"), std::string::npos);
  }
}

TEST_F(ModelConfigFile, ErrorsNameTheFile) {
  const std::string path =
      write("dense.json", R"({"model_type": "qwen2", "hidden_size": 896, "intermediate_size": 4864})");
  EXPECT_EQ(error_of_file(path), path + ": not a MoE config (no num_experts, num_local_experts or n_routed_experts)");
}

}  // namespace
}  // namespace moebench
