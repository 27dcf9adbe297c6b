// --dtype to the run's dtype (docs/fp8.md, docs/models.md): bf16 and fp8 as named; model as the
// model config's quantization_config says, refusing by name any format moebench does not run.
#pragma once

#include <string>

#include "core/dtype.hpp"
#include "core/moe_shape.hpp"

namespace moebench {

// model: fp8 for quant_method fp8 with 128 x 128 weight blocks, bf16 without a quantization_config,
// else a UsageError naming what the config holds; a manual configuration has no config to follow.
// --verbose says which and why. `model_path`: --model-path as given (empty for a manual config).
WeightDtype resolve_dtype(DtypeChoice choice, const MoeShape& shape, const std::string& model_path);

}  // namespace moebench
