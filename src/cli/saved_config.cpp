// The saved config.json: docs/saved_tensors.md lists its keys.
#include "cli/saved_config.hpp"

#include <nlohmann/json.hpp>

#include "core/block_quant.hpp"

namespace moebench {

namespace {

using nlohmann::ordered_json;

// hidden_act as Hugging Face configs spell the activation (model_config.cpp reads each back).
const char* hf_activation_name(Activation activation) {
  switch (activation) {
    case Activation::kSilu: return "silu";
    case Activation::kGelu: return "gelu_pytorch_tanh";
    case Activation::kSwigluOai: return "swigluoai";
  }
  return "";
}

// A manual configuration in a Hugging Face config's keys, routing as the run did.
ordered_json manual_config(const MoeShape& s) {
  const RouterConfig& r = s.router;
  ordered_json c{{"model_type", "moebench_manual"},
                 {"num_experts", s.num_experts},
                 {"num_experts_per_tok", s.top_k},
                 {"hidden_size", s.hidden_size},
                 {"moe_intermediate_size", s.intermediate_size},
                 {"hidden_act", hf_activation_name(s.activation)},
                 {"norm_topk_prob", r.renormalize},
                 {"scoring_func", r.scoring == ScoringFunc::kSigmoid ? "sigmoid" : "softmax"},
                 {"topk_method", r.topk_method()},
                 {"routed_scaling_factor", r.routed_scaling_factor}};
  if (r.grouped()) {
    c["n_group"] = r.num_groups;
    c["topk_group"] = r.topk_groups;
  }
  return c;
}

// What the run computed, whatever keys and family defaults it came from.
ordered_json run_description(const BenchmarkPlan& plan) {
  const MoeShape& s = plan.problem.shape;
  const RouterConfig& r = s.router;
  return {{"num_experts", s.num_experts},
          {"top_k", s.top_k},
          {"hidden_size", s.hidden_size},
          {"intermediate_size", s.intermediate_size},
          {"activation", activation_formula_name(s.activation)},
          {"router",
           {{"scoring", r.scoring == ScoringFunc::kSigmoid ? "sigmoid" : "softmax"},
            {"renormalize", r.renormalize},
            {"topk_method", r.topk_method()},
            {"n_group", r.num_groups},
            {"topk_group", r.topk_groups},
            {"routed_scaling_factor", r.routed_scaling_factor}}},
          {"family", s.model_type},
          {"weight_naming", weight_naming_name(s.weight_naming)},
          {"dtype", dtype_name(plan.problem.dtype)},
          {"seed", plan.seed},
          {"command_line", plan.command_line}};
}

// The quantization_config that --dtype model reads as --dtype fp8 (docs/fp8.md), keys as
// DeepSeek-V3's config.json orders them.
ordered_json fp8_quantization_config() {
  return {{"activation_scheme", "dynamic"},
          {"fmt", "e4m3"},
          {"quant_method", "fp8"},
          {"weight_block_size", {kFp8BlockSize, kFp8BlockSize}}};
}

// An fp8 run's config describes weights.safetensors: a config whose own quantization_config is
// already --dtype fp8's format keeps it as written; one without gets it; one naming another format
// (gpt-oss's mxfp4) gets it too, and the model's own is returned (for _moebench) instead.
ordered_json describe_fp8_weights(ordered_json& config, const MoeShape& shape) {
  const CheckpointQuantization& q = shape.checkpoint_quantization;
  if (q.present() && q.mismatch.empty()) return nullptr;
  ordered_json replaced = nullptr;
  for (const char* where : {"", "text_config"}) {  // where quantization_from_config reads one
    if (*where && !config.contains(where)) continue;
    ordered_json& object = *where ? config[where] : config;
    if (!object.is_object() || !object.contains("quantization_config")) continue;
    if (replaced.is_null()) replaced = object["quantization_config"];
    object.erase("quantization_config");
  }
  config["quantization_config"] = fp8_quantization_config();
  return replaced;
}

}  // namespace

std::string saved_config_json(const BenchmarkPlan& plan, const nlohmann::json& model_config) {
  ordered_json config =
      model_config.is_null() ? manual_config(plan.problem.shape) : ordered_json::parse(model_config.dump());
  ordered_json model_quantization = nullptr;
  if (plan.problem.dtype == WeightDtype::kFp8Block128)
    model_quantization = describe_fp8_weights(config, plan.problem.shape);
  config["_moebench"] = run_description(plan);
  if (!model_quantization.is_null()) config["_moebench"]["model_quantization_config"] = model_quantization;
  // A command line is bytes: any that are not UTF-8 become U+FFFD rather than an exception.
  return config.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace moebench
