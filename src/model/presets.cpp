// Preset lookup and the "closest presets" suggestion for ids that exist nowhere.
#include "model/presets.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "model/model_config.hpp"

namespace moebench {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Levenshtein distance: one typo in a version number ("Qwen2.5" for "Qwen1.5") costs 1.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

const PresetSource* find_preset(std::string_view name) {
  const std::string wanted = lower(name);
  for (const PresetSource& preset : preset_sources()) {
    if (lower(preset.name) == wanted) return &preset;
  }
  return nullptr;
}

MoeShape preset_shape(const PresetSource& preset) {
  // The preset files are checked at build time only for the raw-string delimiter; a broken one
  // is a bug in the repository, reported like any invalid config.
  MoeShape shape = shape_from_config(nlohmann::json::parse(preset.json), std::string("preset ") + preset.name);
  shape.model_name = preset.name;
  return shape;
}

std::vector<std::string> closest_preset_names(std::string_view name, std::size_t count) {
  const std::string wanted = lower(name);
  std::vector<std::pair<std::size_t, std::string>> ranked;
  for (const PresetSource& preset : preset_sources()) {
    // A name typed without its organisation ("grok-2") or cut short ("qwen3-coder") should still
    // find its preset: compare with the name part too, and rank a containing name first.
    const std::string full = lower(preset.name);
    const std::string part = full.substr(full.find('/') + 1);
    const std::size_t score =
        full.find(wanted) != std::string::npos ? 0 : std::min(edit_distance(wanted, full), edit_distance(wanted, part));
    ranked.emplace_back(score, preset.name);
  }
  // stable_sort keeps the file order among equally close names, so the answer is reproducible.
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> names;
  for (std::size_t i = 0; i < ranked.size() && i < count; ++i) names.push_back(ranked[i].second);
  return names;
}

}  // namespace moebench
