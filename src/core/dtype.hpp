// The number format of the layer's weights and GEMM inputs (docs/fp8.md): bf16, or FP8 e4m3 with
// 128 x 128 weight blocks and 1 x 128 activation groups (DeepSeek-V3's recipe, W8A8).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace moebench {

enum class WeightDtype { kBf16, kFp8Block128 };

// How result rows name a dtype (the CSV's dtype column, JSON, HTML, Markdown). A bf16 row names
// the backend's storage instead ("bf16" on CUDA, "f32" on the CPU, which computes in f32).
inline constexpr std::string_view kFp8Block128RowName = "fp8-b128";

// --dtype: a format, or `model`: the one the model config's quantization_config names.
enum class DtypeChoice { kBf16, kFp8, kModel };
inline constexpr std::array<std::pair<DtypeChoice, std::string_view>, 3> kDtypeChoiceNames{
    {{DtypeChoice::kBf16, "bf16"}, {DtypeChoice::kFp8, "fp8"}, {DtypeChoice::kModel, "model"}}};

// "bf16" or "fp8-b128": the dtype's name in headers and messages.
std::string_view dtype_name(WeightDtype dtype);
// What the format is, for the headers: "e4m3, 128x128 weight blocks, 1x128 activation groups".
std::string_view dtype_description(WeightDtype dtype);

// What a model config says of its checkpoint's weights: its quantization_config, read leniently
// (a bf16 run does not care what it holds; only --dtype model does, and refuses what it cannot run).
struct CheckpointQuantization {
  std::string method;       // quant_method as written; empty: no quantization_config
  std::string description;  // the fields as messages quote them: "quant_method fp8, fmt e4m3, ..."
  // Why it is not the format --dtype fp8 runs; empty when it is (quant_method fp8, fmt e4m3 or
  // absent, weight_block_size [128, 128], activation_scheme dynamic or absent).
  std::string mismatch;
  bool present() const { return !method.empty() || !description.empty(); }
};

}  // namespace moebench
