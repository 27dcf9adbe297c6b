// --model-path resolution (docs/models.md): first hit wins, in this order:
//   1. a folder holding config.json        4. a built-in preset (models/presets/)
//   2. a .json file                         5. a download from the Hub, saved into the cache
//   3. a Hub id org/name[@revision] in the local Hugging Face cache
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/moe_shape.hpp"

namespace moebench {

struct ResolvedModel {
  MoeShape shape;         // validated against the benchmark's limits
  std::string source;     // how it was found, for --verbose: "folder /x", "preset Qwen/...", ...
  nlohmann::json config;  // the config.json as read, which --save-tensors writes beside the tensors
};

// UsageError (one line) when nothing matches or what matches is not a usable MoE config; an
// unknown Hub id's error lists the closest preset names.
ResolvedModel resolve_model(const std::string& model_path);

}  // namespace moebench
