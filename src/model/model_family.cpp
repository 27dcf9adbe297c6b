// The table of model types whose code hard-wires routing or activation details (see model_family.hpp).
// Sources: each model's modeling code in transformers, or sglang where transformers has none (Grok).
#include "model/model_family.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace moebench {

namespace {

using nlohmann::json;

std::string string_field(const json& section, const json& root, const char* key) {
  for (const json* object : {&section, &root}) {
    auto it = object->find(key);
    if (it != object->end() && it->is_string()) return it->get<std::string>();
  }
  return "";
}

bool has_architecture(const json& section, const json& root, std::initializer_list<const char*> names) {
  for (const json* object : {&section, &root}) {
    auto it = object->find("architectures");
    if (it == object->end() || !it->is_array()) continue;
    for (const json& arch : *it) {
      if (!arch.is_string()) continue;
      for (const char* name : names)
        if (arch.get<std::string>() == name) return true;
    }
  }
  return false;
}

bool one_of(const std::string& value, std::initializer_list<const char*> names) {
  return std::any_of(names.begin(), names.end(), [&](const char* name) { return value == name; });
}

}  // namespace

ModelFamily model_family(const json& section, const json& root) {
  ModelFamily f;
  f.name = string_field(section, root, "model_type");
  const std::string& t = f.name;
  // Grok-2's config says model_type "git"; its architectures entry is what identifies it.
  const bool grok = one_of(t, {"grok", "grok-1"}) ||
                    has_architecture(section, root, {"Grok1ForCausalLM", "Grok1ModelForCausalLM", "GrokForCausalLM"});
  // gpt-oss: also its original/config.json, which has swiglu_limit but no model_type.
  const bool gpt_oss = t == "gpt_oss" || has_architecture(section, root, {"GptOssForCausalLM"}) ||
                       (t.empty() && section.contains("swiglu_limit"));

  if (gpt_oss) {
    // Softmax over the top-k logits = renormalized softmax; experts use the clamped SwiGLU.
    f.renormalize = true;
    f.activation = Activation::kSwigluOai;
    f.activation_fixed = true;
    f.weight_naming = WeightNaming::kGptOss;
  } else if (grok) {
    // sglang's Grok1MoE: softmax over all experts, top-k, no renormalization, GELU (tanh) experts.
    f.activation = Activation::kGelu;
    f.weight_naming = WeightNaming::kMixtral;  // sglang loads experts.{e}.w1/w2/w3
  } else if (one_of(t, {"mixtral", "minimax", "granitemoe", "granitemoeshared", "granitemoehybrid", "jetmoe"})) {
    // Top-k over the logits, then a softmax over the k selected: renormalized.
    f.renormalize = true;
    if (one_of(t, {"mixtral", "minimax"})) f.weight_naming = WeightNaming::kMixtral;
    if (one_of(t, {"granitemoe", "granitemoeshared", "granitemoehybrid"})) f.weight_naming = WeightNaming::kGraniteMoe;
  } else if (t == "qwen3_next") {
    f.renormalize = true;  // Qwen3NextConfig's default
  } else if (t == "deepseek_v3") {
    // DeepseekV3Config's defaults; the modeling code always scores with a sigmoid.
    f.renormalize = true;
    f.scoring = ScoringFunc::kSigmoid;
    f.topk_method = "noaux_tc";
    f.n_group = 8;
    f.topk_group = 4;
    f.routed_scaling_factor = 2.5;
  } else if (t == "glm4_moe") {
    // Glm4MoeConfig has n_group/topk_group but no scoring_func: the router is DeepSeek-V3's.
    f.renormalize = true;
    f.scoring = ScoringFunc::kSigmoid;
    f.topk_method = "noaux_tc";
  } else if (one_of(t, {"llama4", "llama4_text"})) {
    // Top-k over the logits, then a sigmoid of each selected logit, not renormalized; the sigmoid is
    // monotonic, so this is top-k over sigmoid scores.
    f.scoring = ScoringFunc::kSigmoid;
    f.weight_naming = WeightNaming::kLlama4;
  } else if (t == "phimoe") {
    f.unsupported = "PhiMoE routes with SparseMixer, which moebench does not implement";
  } else if (t == "dbrx") {
    f.unsupported =
        "DBRX keeps its MoE fields under ffn_config (moe_num_experts, moe_top_k), which moebench does not "
        "read; give its sizes with --num-experts, --num-experts-per-tok, --hidden-size and --intermediate-size";
  }
  return f;
}

}  // namespace moebench
