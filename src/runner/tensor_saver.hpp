// --save-tensors: what the run computed, as files any framework reads (docs/saved_tensors.md).
// config.json first, weights.safetensors once the weights exist (when not over
// --save-tensors-max-bytes), then case_{scenario}_T{tokens}.safetensors as each case finishes. Node 0
// only. Each file is written whole or not at all; a write that fails is one error line, after which
// nothing more is saved, the benchmark goes on, and main exits 1 at its end (failed()).
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/case_inputs.hpp"
#include "core/plan.hpp"
#include "core/router.hpp"
#include "core/weights.hpp"
#include "output/safetensors_writer.hpp"
#include "platform/interrupt.hpp"

namespace moebench {

// One implementation's output of a case: (T, H) f32 in global token order.
struct ImplOutput {
  ImplKind kind;
  std::span<const float> values;
};

class TensorSaver {
 public:
  // `guard`: each file is written under its output lock, so that a signal's watchdog never ends the
  // process halfway through one (nullptr: no lock, for tests).
  TensorSaver(const BenchmarkPlan& plan, InterruptGuard* guard);

  void save_config();
  void save_weights(const EpWeights& weights);
  void save_case(const CaseInputs& inputs, const Routing& routing, std::span<const ImplOutput> outputs);

  bool failed() const { return failed_; }

 private:
  // Runs `write` (which writes `file`, or throws RunError) unless an earlier write failed.
  void write(const std::string& file, const std::function<void(const std::string& path)>& write);
  std::string path(const std::string& name) const;
  SafetensorsMetadata run_metadata() const;

  const BenchmarkPlan& plan_;
  InterruptGuard* guard_;
  bool failed_ = false;
};

// A case's file name: case_{scenario}_T{tokens}.safetensors.
std::string case_file_name(const BenchCase& bench_case);

// A case's tensors, in file order: x (T, H) bf16, router_logits (T, E) f32, topk_ids (T, k) i32,
// topk_weights (T, k) f32 (what multiplies each expert's output), output.<impl> (T, H) bf16 each.
// They point into the arguments (and `output_bf16`, filled here), which must outlive the write.
std::vector<SafetensorsTensor> case_tensors(const CaseInputs& inputs, const Routing& routing, const MoeShape& shape,
                                            std::span<const ImplOutput> outputs,
                                            std::vector<std::vector<bf16_bits>>& output_bf16);

}  // namespace moebench
