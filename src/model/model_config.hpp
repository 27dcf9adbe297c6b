// Hugging Face config.json -> MoeShape (spec: "Model configs"). Never falls back silently: a
// missing or ill-typed key is an error naming the file and the key.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "core/moe_shape.hpp"

namespace moebench {

// Parses the MoE fields of a config, `origin` naming it in errors (a path or a preset name).
MoeShape shape_from_config(const nlohmann::json& config, const std::string& origin);

// Reads and parses a config.json file; UsageError on a missing, unreadable or invalid file.
MoeShape shape_from_config_file(const std::string& path);

}  // namespace moebench
