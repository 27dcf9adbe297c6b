// A config's quantization_config: how the checkpoint's weights are stored (DeepSeek-V3:
// {quant_method fp8, fmt e4m3, activation_scheme dynamic, weight_block_size [128, 128]}; gpt-oss:
// {quant_method mxfp4}). Read without refusing anything: a bf16 run does not care, and only
// --dtype model acts on it (cli/dtype_choice.hpp).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "core/dtype.hpp"

namespace moebench {

// From the config's top level, else from `section` (a multimodal config's text_config). Nothing
// when neither has one (or it is null).
CheckpointQuantization quantization_from_config(const nlohmann::json& section, const nlohmann::json& root);

}  // namespace moebench
