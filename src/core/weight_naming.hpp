// How a model family's checkpoints name and lay out the expert weights: the names --save-tensors
// writes weights.safetensors under (docs/saved_tensors.md has each scheme's tensors and shapes).
#pragma once

#include <array>
#include <string_view>
#include <utility>

#include "core/name_table.hpp"

namespace moebench {

enum class WeightNaming {
  kPerExpertProj,  // experts.{e}.gate_proj.weight ...: Qwen-MoE, DeepSeek, OLMoE, and the default
  kMixtral,        // experts.{e}.w1.weight (gate), w3 (up), w2 (down): Mixtral, MiniMax, Grok
  kGptOss,         // experts.gate_up_proj (E, H, 2I), gate and up interleaved, with zero biases
  kLlama4,         // experts.gate_up_proj (E, H, 2I), gate then up
  kGraniteMoe,     // input_linear.weight (E, 2I, H), output_linear.weight (E, H, I)
};

// Each scheme's one name, as config.json's _moebench.weight_naming and the files' metadata spell it.
inline constexpr std::array<std::pair<WeightNaming, std::string_view>, 5> kWeightNamingNames{
    {{WeightNaming::kPerExpertProj, "per_expert_proj"},
     {WeightNaming::kMixtral, "mixtral"},
     {WeightNaming::kGptOss, "gpt_oss"},
     {WeightNaming::kLlama4, "llama4"},
     {WeightNaming::kGraniteMoe, "granitemoe"}}};

inline std::string_view weight_naming_name(WeightNaming naming) { return name_in(kWeightNamingNames, naming); }

}  // namespace moebench
