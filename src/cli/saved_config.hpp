// config.json of --save-tensors: the model's config as the run read it (for a manual configuration,
// one in Hugging Face's keys, which --model-path reads back), plus `_moebench`, what the run computed
// in one place, so that a reader outside moebench needs no knowledge of model families.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "core/plan.hpp"

namespace moebench {

// `model_config`: the config.json as read, or null for a manual configuration.
std::string saved_config_json(const BenchmarkPlan& plan, const nlohmann::json& model_config);

}  // namespace moebench
