// Built-in model presets: the MoE fields of real configs (models/presets/<org>--<name>.json),
// compiled into the binary so that `--model-path Qwen/Qwen3-30B-A3B` works offline from any folder.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/moe_shape.hpp"

namespace moebench {

struct PresetSource {
  const char* name;  // the Hub id, "org/name"
  const char* json;  // the preset file's text
};

// Every preset, sorted by file name. Defined in the generated preset_data.cpp.
const std::vector<PresetSource>& preset_sources();

// The preset named `name` (case-insensitive, as the Hub treats ids), or nullptr.
const PresetSource* find_preset(std::string_view name);

// The preset's shape, parsed like any config.json (model_name set to the preset's name).
MoeShape preset_shape(const PresetSource& preset);

// The `count` preset names closest to `name` by edit distance, ignoring case; for "did you mean".
std::vector<std::string> closest_preset_names(std::string_view name, std::size_t count = 3);

}  // namespace moebench
