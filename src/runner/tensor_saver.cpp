// --save-tensors: the files and their metadata; the formats themselves are safetensors_writer's and
// checkpoint_layout's.
#include "runner/tensor_saver.hpp"

#include <chrono>
#include <filesystem>
#include <fmt/format.h>

#include "core/errors.hpp"
#include "core/fp8_weights.hpp"
#include "core/log.hpp"
#include "runner/checkpoint_layout.hpp"

namespace moebench {

namespace {

constexpr const char* kWeightsFile = "weights.safetensors";

std::string model_label(const MoeShape& shape) {
  return shape.model_name.empty() ? "manual config: " + shape.describe() : shape.model_name;
}

std::vector<bf16_bits> to_bf16(std::span<const float> values) {
  std::vector<bf16_bits> out(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) out[i] = float_to_bf16(values[i]);
  return out;
}

}  // namespace

std::string case_file_name(const BenchCase& c) {
  return fmt::format("case_{}_T{}.safetensors", scenario_name(c.scenario), c.num_tokens);
}

std::vector<SafetensorsTensor> case_tensors(const CaseInputs& inputs, const Routing& routing, const MoeShape& shape,
                                            std::span<const ImplOutput> outputs,
                                            std::vector<std::vector<bf16_bits>>& output_bf16) {
  const std::int64_t T = inputs.bench_case.num_tokens, H = shape.hidden_size, E = shape.num_experts, k = shape.top_k;
  std::vector<SafetensorsTensor> tensors{
      tensor_of("x", TensorDtype::kBf16, {T, H}, std::span<const bf16_bits>(inputs.hidden_states)),
      tensor_of("router_logits", TensorDtype::kF32, {T, E}, std::span<const float>(inputs.router_logits)),
      tensor_of("topk_ids", TensorDtype::kI32, {T, k}, std::span<const std::int32_t>(routing.expert_ids)),
      tensor_of("topk_weights", TensorDtype::kF32, {T, k}, std::span<const float>(routing.weights))};
  output_bf16.clear();  // the tensors below point into its vectors' buffers, which moves keep in place
  for (const ImplOutput& o : outputs) {
    output_bf16.push_back(to_bf16(o.values));
    tensors.push_back(tensor_of(fmt::format("output.{}", impl_name(o.kind)), TensorDtype::kBf16, {T, H},
                                std::span<const bf16_bits>(output_bf16.back())));
  }
  return tensors;
}

TensorSaver::TensorSaver(const BenchmarkPlan& plan, InterruptGuard* guard) : plan_(plan), guard_(guard) {}

std::string TensorSaver::path(const std::string& name) const {
  return (std::filesystem::path(plan_.save_tensors.dir) / name).string();
}

void TensorSaver::write(const std::string& file, const std::function<void(const std::string& path)>& write) {
  if (failed_) return;
  const auto start = std::chrono::steady_clock::now();
  try {
    if (guard_) guard_->write_output([&] { write(path(file)); });
    else write(path(file));
    log_verbose("--save-tensors: wrote {} in {:.2f} s", path(file),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  } catch (const RunError& e) {
    failed_ = true;
    log_error("--save-tensors: {}; no more tensors are saved, the benchmark goes on (exit code 1 at its end)",
              e.what());
  }
}

SafetensorsMetadata TensorSaver::run_metadata() const {
  const MoeShape& s = plan_.problem.shape;
  return {{"model", model_label(s)},
          {"router", s.router.describe()},
          {"activation", std::string(activation_formula_name(s.activation))},
          {"dtype", std::string(dtype_name(plan_.problem.dtype))},
          {"seed", std::to_string(plan_.seed)},
          {"command_line", plan_.command_line},
          {"format", "pt"}};
}

void TensorSaver::save_config() {
  write("config.json", [&](const std::string& to) { write_file_atomically(to, plan_.save_tensors.config_json); });
}

void TensorSaver::save_weights(const EpWeights& weights) {
  const MoeShape& s = plan_.problem.shape;
  const WeightDtype dtype = plan_.problem.dtype;
  const std::uint64_t bytes =
      checkpoint_bytes(weights.num_experts, weights.hidden, weights.intermediate, s.weight_naming, dtype);
  const auto limit = static_cast<std::uint64_t>(plan_.save_tensors.max_weight_bytes);
  if (bytes > limit) {
    // An earlier run's weights would pass for this one's: they go too.
    std::error_code ec;
    const bool removed = std::filesystem::remove(path(kWeightsFile), ec);
    log_warning("{} left out: {} bytes > --save-tensors-max-bytes {} (raise it to save them){}", kWeightsFile, bytes,
                limit, removed ? fmt::format("; removed the {} of an earlier run", kWeightsFile) : "");
    return;
  }
  SafetensorsMetadata metadata{{"weight_naming", std::string(weight_naming_name(s.weight_naming))},
                               {"dtype", std::string(dtype_name(dtype))},
                               {"format", "pt"},
                               {"model", model_label(s)},
                               {"seed", std::to_string(plan_.seed)}};
  if (dtype == WeightDtype::kFp8Block128) {
    if (failed_) return;  // nothing more is saved: no need to quantize
    // The codes and scales the run computes with: the backend quantizes the same bf16 weights with
    // the same function (docs/fp8.md).
    const Fp8EpWeights quantized = quantize_ep_weights(weights);
    const std::vector<SafetensorsTensor> tensors = checkpoint_tensors(quantized, s.weight_naming);
    write(kWeightsFile, [&](const std::string& to) { write_safetensors(to, tensors, metadata); });
    return;
  }
  const std::vector<SafetensorsTensor> tensors = checkpoint_tensors(weights, s.weight_naming);
  write(kWeightsFile, [&](const std::string& to) { write_safetensors(to, tensors, metadata); });
}

void TensorSaver::save_case(const CaseInputs& inputs, const Routing& routing, std::span<const ImplOutput> outputs) {
  if (failed_) return;
  std::vector<std::vector<bf16_bits>> output_bf16;
  const auto tensors = case_tensors(inputs, routing, plan_.problem.shape, outputs, output_bf16);
  SafetensorsMetadata metadata = run_metadata();
  std::string implementations;
  for (const ImplOutput& o : outputs) {
    if (!implementations.empty()) implementations += ',';
    implementations += impl_name(o.kind);
  }
  metadata["scenario"] = std::string(scenario_name(inputs.bench_case.scenario));
  metadata["num_tokens"] = std::to_string(inputs.bench_case.num_tokens);
  metadata["implementations"] = implementations;
  write(case_file_name(inputs.bench_case), [&](const std::string& to) { write_safetensors(to, tensors, metadata); });
}

}  // namespace moebench
