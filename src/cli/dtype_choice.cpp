// The dtype of a run, from --dtype and the model's checkpoint format.
#include "cli/dtype_choice.hpp"

#include <fmt/format.h>

#include "core/errors.hpp"
#include "core/log.hpp"
#include "core/name_table.hpp"

namespace moebench {

namespace {

WeightDtype follow_model(const MoeShape& shape, const std::string& model_path) {
  if (model_path.empty()) {
    throw UsageError(
        "--dtype model follows --model-path's quantization_config, and a manual configuration has none: use "
        "--dtype bf16 or --dtype fp8");
  }
  const CheckpointQuantization& q = shape.checkpoint_quantization;
  if (!q.present()) {
    log_verbose("--dtype model: {} has no quantization_config (unquantized weights): running bf16", model_path);
    return WeightDtype::kBf16;
  }
  if (q.mismatch.empty()) {
    log_verbose("--dtype model: {} has quantization_config {{{}}}: running {}", model_path, q.description,
                dtype_name(WeightDtype::kFp8Block128));
    return WeightDtype::kFp8Block128;
  }
  throw UsageError(fmt::format(
      "--dtype model: {} has quantization_config {{{}}}, which moebench does not run: {} (--dtype fp8 is quant_method "
      "fp8 with weight_block_size [128, 128]; --dtype bf16 runs the layer unquantized)",
      model_path, q.description, q.mismatch));
}

}  // namespace

WeightDtype resolve_dtype(DtypeChoice choice, const MoeShape& shape, const std::string& model_path) {
  if (choice == DtypeChoice::kModel) return follow_model(shape, model_path);
  const WeightDtype dtype = choice == DtypeChoice::kFp8 ? WeightDtype::kFp8Block128 : WeightDtype::kBf16;
  if (shape.checkpoint_quantization.present()) {
    log_verbose("{}'s checkpoint is quantized ({}); running {} as --dtype {} asks (--dtype model would follow it)",
                model_path, shape.checkpoint_quantization.description, dtype_name(dtype),
                name_in(kDtypeChoiceNames, choice));
  }
  return dtype;
}

}  // namespace moebench
