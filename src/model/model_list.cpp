// Formats the presets as a fixed-width table; the shapes come from parsing the presets, so the
// table shows exactly what --model-path NAME would run.
#include "model/model_list.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "model/presets.hpp"

namespace moebench {

std::string format_model_list() {
  std::size_t width = 4;
  for (const PresetSource& preset : preset_sources()) width = std::max(width, std::string(preset.name).size());
  std::string text = "Built-in model presets (--model-path NAME; resolution order and sources: docs/models.md)\n";
  text += fmt::format("{:<{}}  {:>7}  {:>5}  {:>6}  {:>12}  {:<10}  {}\n", "name", width, "experts", "top-k", "hidden",
                      "intermediate", "activation", "router");
  for (const PresetSource& preset : preset_sources()) {
    const MoeShape s = preset_shape(preset);
    text += fmt::format("{:<{}}  {:>7}  {:>5}  {:>6}  {:>12}  {:<10}  {}\n", preset.name, width, s.num_experts, s.top_k,
                        s.hidden_size, s.intermediate_size, activation_name(s.activation), s.router.describe());
  }
  return text;
}

}  // namespace moebench
