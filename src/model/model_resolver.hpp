// --model-path resolution (README "Model configs"): local folder, .json file, Hugging Face cache,
// built-in preset, then a download from the Hub.
#pragma once

#include <string>

#include "core/moe_shape.hpp"

namespace moebench {

struct ResolvedModel {
  MoeShape shape;
  std::string source;  // how it was found, for --verbose: "folder /x", "preset Qwen/...", ...
};

ResolvedModel resolve_model(const std::string& model_path);

}  // namespace moebench
