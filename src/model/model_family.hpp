// What a model's type implies about its router and experts when its config leaves a field out.
// HF configs omit what their modeling code hard-wires (Mixtral renormalizes, DeepSeek-V3 scores
// with a sigmoid, gpt-oss clamps its SwiGLU); reading only the keys would route these wrongly.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/activation.hpp"
#include "core/router.hpp"
#include "core/weight_naming.hpp"

namespace moebench {

struct ModelFamily {
  std::string name;  // model_type as the config spells it (may be empty)
  // Defaults for absent keys, as the model's own code (or its transformers config class) sets them.
  bool renormalize = false;                     // norm_topk_prob
  ScoringFunc scoring = ScoringFunc::kSoftmax;  // scoring_func
  std::string topk_method = "greedy";           // topk_method
  int n_group = 1, topk_group = 1;              // n_group, topk_group
  double routed_scaling_factor = 1.0;           // routed_scaling_factor
  Activation activation = Activation::kSilu;    // when hidden_act is absent
  bool activation_fixed = false;                // the model ignores hidden_act (gpt-oss)
  // How its checkpoints name the expert weights (transformers' conversion_mapping.py and modeling code).
  WeightNaming weight_naming = WeightNaming::kPerExpertProj;
  std::string unsupported;  // non-empty: why moebench cannot route like this model
};

// The family of a config section: model_type (section first, then root) and architectures.
ModelFamily model_family(const nlohmann::json& section, const nlohmann::json& root);

}  // namespace moebench
