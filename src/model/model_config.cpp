// config.json parsing. Key precedence and meaning: spec.md "Model configs" and docs/models.md.
#include "model/model_config.hpp"

#include <fmt/format.h>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/errors.hpp"

namespace moebench {

namespace {

using nlohmann::json;

// The first of `keys` present (and not null) in `config`, or nullptr.
const json* first_key(const json& config, std::initializer_list<const char*> keys, std::string* found = nullptr) {
  for (const char* key : keys) {
    auto it = config.find(key);
    if (it != config.end() && !it->is_null()) {
      if (found) *found = key;
      return &*it;
    }
  }
  return nullptr;
}

std::int64_t integer_key(const json& config, std::initializer_list<const char*> keys, const std::string& origin,
                         const char* meaning) {
  std::string key;
  const json* value = first_key(config, keys, &key);
  if (value == nullptr) {
    std::string names;
    for (const char* k : keys) names += (names.empty() ? "" : ", ") + std::string(k);
    throw UsageError(fmt::format("{}: no {} ({}) in the config", origin, meaning, names));
  }
  if (!value->is_number_integer()) {
    throw UsageError(fmt::format("{}: {} must be an integer (got {})", origin, key, value->dump()));
  }
  return value->get<std::int64_t>();
}

// Models whose routers renormalise the top-k weights without saying so in the config: Mixtral and
// gpt-oss take the softmax over the selected logits only.
bool renormalizes_by_default(const std::string& model_type) {
  return model_type == "mixtral" || model_type == "gpt_oss";
}

RouterConfig router_from_config(const json& c, const std::string& model_type, const std::string& origin) {
  RouterConfig r;
  if (const json* v = first_key(c, {"norm_topk_prob"})) {
    if (!v->is_boolean()) throw UsageError(fmt::format("{}: norm_topk_prob must be true or false (got {})", origin, v->dump()));
    r.renormalize = v->get<bool>();
  } else {
    r.renormalize = renormalizes_by_default(model_type);
  }
  if (const json* v = first_key(c, {"scoring_func"})) {
    const std::string f = v->is_string() ? v->get<std::string>() : v->dump();
    if (f == "softmax") r.scoring = ScoringFunc::kSoftmax;
    else if (f == "sigmoid") r.scoring = ScoringFunc::kSigmoid;
    else throw UsageError(fmt::format("{}: scoring_func {} is not implemented (softmax, sigmoid are)", origin, f));
  }
  std::string method = "greedy";
  if (const json* v = first_key(c, {"topk_method"})) {
    if (!v->is_string()) throw UsageError(fmt::format("{}: topk_method must be a string (got {})", origin, v->dump()));
    method = v->get<std::string>();
  }
  const std::int64_t groups = first_key(c, {"n_group"}) ? integer_key(c, {"n_group"}, origin, "group count") : 1;
  const std::int64_t topk_groups = first_key(c, {"topk_group"}) ? integer_key(c, {"topk_group"}, origin, "group top-k") : 1;
  if (method == "greedy") {
    // Plain top-k; n_group/topk_group are ignored by such models (DeepSeek-V2-Lite sets them to 1).
  } else if (method == "group_limited_greedy" || method == "noaux_tc") {
    if (groups < 1 || groups > 4096) throw UsageError(fmt::format("{}: n_group must be in [1, 4096] (got {})", origin, groups));
    r.num_groups = static_cast<int>(groups);
    r.topk_groups = static_cast<int>(topk_groups);
    // DeepSeek-V2 scores a group by its best expert; V3 (noaux_tc) by the sum of its best two.
    r.group_score_top = method == "noaux_tc" ? 2 : 1;
  } else {
    throw UsageError(fmt::format("{}: topk_method '{}' is not implemented (greedy, group_limited_greedy and noaux_tc "
                                 "are)",
                                 origin, method));
  }
  if (const json* v = first_key(c, {"routed_scaling_factor"})) {
    if (!v->is_number()) throw UsageError(fmt::format("{}: routed_scaling_factor must be a number (got {})", origin, v->dump()));
    r.routed_scaling_factor = v->get<double>();
    if (!(r.routed_scaling_factor > 0)) {
      throw UsageError(fmt::format("{}: routed_scaling_factor must be positive (got {})", origin, v->dump()));
    }
  }
  return r;
}

Activation activation_from_config(const json& c, const std::string& model_type, const std::string& origin) {
  if (model_type == "gpt_oss") return Activation::kSwigluOai;  // clamped SwiGLU whatever hidden_act says
  const json* act = first_key(c, {"hidden_act", "hidden_activation", "activation_function"});
  if (act == nullptr) return Activation::kSilu;
  if (!act->is_string()) throw UsageError(fmt::format("{}: hidden_act must be a string (got {})", origin, act->dump()));
  const auto parsed = parse_activation(act->get<std::string>());
  if (!parsed) {
    throw UsageError(fmt::format("{}: hidden_act '{}' is not implemented (silu, gelu, swigluoai are)", origin,
                                 act->get<std::string>()));
  }
  return *parsed;
}

}  // namespace

MoeShape shape_from_config(const json& root, const std::string& origin) {
  if (!root.is_object()) throw UsageError(fmt::format("{}: the config is not a JSON object", origin));
  // Multimodal configs keep the language model's fields under text_config.
  const json& c = root.contains("text_config") && root["text_config"].is_object() ? root["text_config"] : root;
  std::string model_type;
  if (const json* v = first_key(c, {"model_type"}); v && v->is_string()) model_type = v->get<std::string>();
  if (model_type.empty())
    if (const json* v = first_key(root, {"model_type"}); v && v->is_string()) model_type = v->get<std::string>();

  if (!first_key(c, {"num_experts", "num_local_experts", "n_routed_experts"})) {
    throw UsageError(fmt::format("{}: not a MoE config (no num_experts, num_local_experts or n_routed_experts)", origin));
  }
  MoeShape s;
  s.num_experts = integer_key(c, {"num_experts", "num_local_experts", "n_routed_experts"}, origin, "expert count");
  s.top_k = integer_key(c, {"num_experts_per_tok", "experts_per_token", "moe_topk"}, origin, "experts per token");
  s.hidden_size = integer_key(c, {"hidden_size"}, origin, "hidden size");
  s.intermediate_size = integer_key(c, {"moe_intermediate_size", "intermediate_size"}, origin, "intermediate size");
  s.activation = activation_from_config(c, model_type, origin);
  s.router = router_from_config(c, model_type, origin);
  return s;
}

MoeShape shape_from_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError(fmt::format("cannot read model config {}", path));
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) throw UsageError(fmt::format("cannot read model config {}", path));
  json config;
  try {
    config = json::parse(text.str());
  } catch (const json::parse_error& e) {
    // e.byte is the 1-based offset of the error; turn it into line:column.
    const std::string body = text.str();
    const std::size_t at = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, body.size());
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < at; ++i) {
      if (body[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    throw UsageError(fmt::format("{}:{}:{}: invalid JSON", path, line, column));
  }
  return shape_from_config(config, path);
}

}  // namespace moebench
