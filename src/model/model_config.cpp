// config.json parsing. Key precedence and meaning: spec.md "Model configs" and docs/models.md.
#include "model/model_config.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "core/log.hpp"
#include "model/json_file.hpp"
#include "model/model_family.hpp"
#include "model/quantization_config.hpp"

namespace moebench {

namespace {

using nlohmann::json;

// The object the MoE fields are read from, and how errors name its keys ("text_config.num_experts").
struct Section {
  const json& fields;
  std::string prefix;
  const std::string& origin;

  std::string key_name(const std::string& key) const { return prefix + key; }
};

// A value for an error message, cut short: a wrong type can be a whole nested object.
std::string shown(const json& value) {
  std::string text = value.dump();
  return text.size() <= 40 ? text : text.substr(0, 37) + "...";
}

// The first of `keys` present and not null, with the key that held it; nullptr when none is.
const json* first_key(const json& object, std::initializer_list<const char*> keys, std::string* found = nullptr) {
  for (const char* key : keys) {
    auto it = object.find(key);
    if (it != object.end() && !it->is_null()) {
      if (found) *found = key;
      return &*it;
    }
  }
  return nullptr;
}

std::int64_t as_integer(const json& value, const Section& s, const std::string& key) {
  if (value.is_number_unsigned() && value.get<std::uint64_t>() > std::numeric_limits<std::int64_t>::max()) {
    throw UsageError(fmt::format("{}: {} is out of range (got {})", s.origin, s.key_name(key), shown(value)));
  }
  if (value.is_number_integer()) return value.get<std::int64_t>();
  // Per-layer lists (Hunyuan's moe_topk, moe_intermediate_size) are fine when every layer agrees:
  // the benchmark measures one layer.
  if (value.is_array() && !value.empty() && value[0].is_number_integer()) {
    for (const json& item : value) {
      if (item != value[0]) {
        throw UsageError(fmt::format("{}: {} differs between layers ({}); moebench measures one MoE layer shape",
                                     s.origin, s.key_name(key), shown(value)));
      }
    }
    return as_integer(value[0], s, key);
  }
  throw UsageError(fmt::format("{}: {} must be an integer (got {})", s.origin, s.key_name(key), shown(value)));
}

// A size: the first of `keys`, an integer >= 1. UsageError names the key that was wrong.
std::int64_t size_key(const Section& s, std::initializer_list<const char*> keys, const char* meaning) {
  std::string key;
  const json* value = first_key(s.fields, keys, &key);
  if (value == nullptr) {
    std::string names;
    for (const char* k : keys) names += (names.empty() ? "" : ", ") + s.key_name(k);
    throw UsageError(fmt::format("{}: no {} ({}) in the config", s.origin, meaning, names));
  }
  const std::int64_t n = as_integer(*value, s, key);
  if (n < 1) throw UsageError(fmt::format("{}: {} must be positive (got {})", s.origin, s.key_name(key), n));
  return n;
}

bool bool_key(const Section& s, const char* key, bool fallback) {
  const json* v = first_key(s.fields, {key});
  if (v == nullptr) return fallback;
  if (!v->is_boolean())
    throw UsageError(fmt::format("{}: {} must be true or false (got {})", s.origin, s.key_name(key), shown(*v)));
  return v->get<bool>();
}

std::string string_key(const Section& s, const char* key, const std::string& fallback) {
  const json* v = first_key(s.fields, {key});
  if (v == nullptr) return fallback;
  if (!v->is_string())
    throw UsageError(fmt::format("{}: {} must be a string (got {})", s.origin, s.key_name(key), shown(*v)));
  return v->get<std::string>();
}

double number_key(const Section& s, const char* key, double fallback) {
  const json* v = first_key(s.fields, {key});
  if (v == nullptr) return fallback;
  if (!v->is_number())
    throw UsageError(fmt::format("{}: {} must be a number (got {})", s.origin, s.key_name(key), shown(*v)));
  return v->get<double>();
}

int group_key(const Section& s, const char* key, int fallback, int high) {
  const json* v = first_key(s.fields, {key});
  if (v == nullptr) return fallback;
  const std::int64_t n = as_integer(*v, s, key);
  if (n < 1 || n > high)
    throw UsageError(fmt::format("{}: {} must be in [1, {}] (got {})", s.origin, s.key_name(key), high, n));
  return static_cast<int>(n);
}

RouterConfig router_from_config(const Section& s, const ModelFamily& family, std::int64_t num_experts) {
  RouterConfig r;
  if (!s.fields.contains("norm_topk_prob")) {
    log_verbose("{}: no norm_topk_prob; {} model: {}", s.origin, family.name.empty() ? "unknown" : family.name,
                family.renormalize ? "renormalized as its code does" : "not renormalized");
  }
  r.renormalize = bool_key(s, "norm_topk_prob", family.renormalize);

  const std::string scoring =
      string_key(s, "scoring_func", family.scoring == ScoringFunc::kSigmoid ? "sigmoid" : "softmax");
  if (scoring == "softmax") r.scoring = ScoringFunc::kSoftmax;
  else if (scoring == "sigmoid") r.scoring = ScoringFunc::kSigmoid;
  else
    throw UsageError(
        fmt::format("{}: scoring_func '{}' is not implemented (softmax and sigmoid are)", s.origin, scoring));

  std::string method = string_key(s, "topk_method", family.topk_method);
  if (method == "gready") method = "greedy";  // the default in DeepSeek-V2's configuration_deepseek.py, misspelt
  if (method == "group_limited_greedy" || method == "noaux_tc") {
    const int most = static_cast<int>(std::min<std::int64_t>(num_experts, 4096));
    r.num_groups = group_key(s, "n_group", std::min(family.n_group, most), most);
    r.topk_groups = group_key(s, "topk_group", std::min(family.topk_group, r.num_groups), r.num_groups);
    // DeepSeek-V2 scores a group by its best expert; V3 (noaux_tc) by the sum of its best two.
    // noaux_tc also adds a learned bias (e_score_correction_bias) for selection only: it is part of
    // the weights, not the config, and synthetic logits stand for the biased scores.
    r.group_score_top = method == "noaux_tc" ? 2 : 1;
  } else if (method != "greedy") {
    throw UsageError(fmt::format(
        "{}: topk_method '{}' is not implemented (greedy, group_limited_greedy and noaux_tc are)", s.origin, method));
  }
  // greedy: plain top-k; such models ignore n_group/topk_group (DeepSeek-V2-Lite sets them to 1).

  // The routers multiply f32 weights (at most 1) by it: a bound keeps them finite (docs/limits.md).
  constexpr double kMaxScaling = 1e6;
  r.routed_scaling_factor = number_key(s, "routed_scaling_factor", family.routed_scaling_factor);
  if (!(r.routed_scaling_factor > 0) || !(r.routed_scaling_factor <= kMaxScaling)) {
    throw UsageError(fmt::format("{}: routed_scaling_factor must be a positive number at most {:g} (got {})", s.origin,
                                 kMaxScaling, r.routed_scaling_factor));
  }
  // Grok caps router logits with cap * tanh(logit / cap): monotonic, so the chosen experts are the
  // same, and the synthetic logits (|x| of a few units) are changed by under 1%.
  if (const double cap = number_key(s, "router_logit_softcapping", 0.0); cap > 0) {
    log_verbose("{}: router_logit_softcapping {} is not applied to the synthetic router logits", s.origin, cap);
  }
  return r;
}

Activation activation_from_config(const Section& s, const ModelFamily& family) {
  if (family.activation_fixed) {
    // gpt-oss: the clamp is the spec's 7.0; a config asking for another limit is not this layer.
    const double limit = number_key(s, "swiglu_limit", 7.0);
    if (limit != 7.0) {
      throw UsageError(
          fmt::format("{}: swiglu_limit {} is not implemented (swigluoai clamps at 7.0)", s.origin, limit));
    }
    return family.activation;
  }
  std::string key;
  const json* act = first_key(s.fields, {"hidden_act", "hidden_activation", "activation_function"}, &key);
  if (act == nullptr) return family.activation;
  if (!act->is_string())
    throw UsageError(fmt::format("{}: {} must be a string (got {})", s.origin, s.key_name(key), shown(*act)));
  const std::string name = act->get<std::string>();
  if (name == "silu" || name == "swish" || name == "swiglu") return Activation::kSilu;
  if (name == "gelu_pytorch_tanh" || name == "gelu_new" || name == "gelu_tanh" || name == "gelu_fast")
    return Activation::kGelu;
  if (name == "gelu") {
    // transformers' "gelu" is the erf form; the benchmark's gelu is the tanh one (same cost,
    // values within 1e-3).
    log_verbose("{}: {} 'gelu' (erf) runs as the tanh approximation", s.origin, s.key_name(key));
    return Activation::kGelu;
  }
  if (name == "swigluoai") return Activation::kSwigluOai;
  throw UsageError(
      fmt::format("{}: {} '{}' is not implemented (silu, gelu, gelu_pytorch_tanh, gelu_new and swigluoai are)",
                  s.origin, s.key_name(key), name));
}

constexpr std::initializer_list<const char*> kExpertKeys{"num_experts", "num_local_experts", "n_routed_experts"};

// Multimodal configs keep the language model's fields under text_config; use it when it has them.
Section moe_section(const json& root, const std::string& origin) {
  auto text = root.find("text_config");
  if (text != root.end() && text->is_object() && first_key(*text, kExpertKeys))
    return Section{*text, "text_config.", origin};
  if (first_key(root, kExpertKeys)) return Section{root, "", origin};
  const bool nested = text != root.end() && text->is_object();
  throw UsageError(fmt::format("{}: not a MoE config (no num_experts, num_local_experts or n_routed_experts{})", origin,
                               nested ? ", at the top level or in text_config" : ""));
}

}  // namespace

MoeShape shape_from_config(const json& root, const std::string& origin) {
  if (!root.is_object()) throw UsageError(fmt::format("{}: the config is not a JSON object", origin));
  // A known-unsupported model first: DBRX has no top-level expert count and is still a MoE.
  if (const ModelFamily top = model_family(root, root); !top.unsupported.empty()) {
    throw UsageError(fmt::format("{}: {}", origin, top.unsupported));
  }
  const Section s = moe_section(root, origin);
  const ModelFamily family = model_family(s.fields, root);
  if (!family.unsupported.empty()) throw UsageError(fmt::format("{}: {}", origin, family.unsupported));

  MoeShape shape;
  std::string experts_key;
  const json* experts = first_key(s.fields, kExpertKeys, &experts_key);
  if (experts->is_number_integer() && experts->get<std::int64_t>() == 0) {
    throw UsageError(fmt::format("{}: not a MoE config ({} is 0)", origin, s.key_name(experts_key)));
  }
  shape.num_experts = size_key(s, kExpertKeys, "expert count");
  shape.top_k = size_key(s, {"num_experts_per_tok", "experts_per_token", "moe_topk"}, "experts per token");
  shape.hidden_size = size_key(s, {"hidden_size"}, "hidden size");
  shape.intermediate_size = size_key(s, {"moe_intermediate_size", "intermediate_size"}, "intermediate size");
  shape.activation = activation_from_config(s, family);
  shape.router = router_from_config(s, family, shape.num_experts);
  shape.model_type = family.name;
  shape.weight_naming = family.weight_naming;
  shape.checkpoint_quantization = quantization_from_config(s.fields, root);
  return shape;
}

MoeShape shape_from_config_file(const std::string& path) { return shape_from_config(read_json_file(path), path); }

}  // namespace moebench
