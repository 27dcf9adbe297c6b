// Memory estimates in doubles: sizes from flags can be large enough to overflow 64-bit products.
#include "cpu/cpu_memory.hpp"

#include <fmt/format.h>

#include "platform/memory.hpp"

namespace moebench {

std::string MemoryEstimate::describe() const {
  return fmt::format("weights {}, activations {}", format_bytes(weights), format_bytes(activations));
}

MemoryEstimate estimate_cpu_memory(const BenchmarkPlan& plan) {
  const MoeShape& s = plan.problem.shape;
  const double expert_elems = 3.0 * static_cast<double>(s.num_experts) * static_cast<double>(s.hidden_size) *
                              static_cast<double>(s.intermediate_size);
  const double impls = static_cast<double>(plan.implementations.size());
  MemoryEstimate m;
  // bf16 master copy + one f32 copy per implementation + one expert's f32 values being laid out;
  // fp8: the quantized copy (a byte per weight, scales a 64th of that at most) while one is built.
  const bool fp8 = plan.problem.dtype == WeightDtype::kFp8Block128;
  m.weights = expert_elems * 2.0 + impls * expert_elems * 4.0 +
              expert_elems / static_cast<double>(s.num_experts) * 4.0 + (fp8 ? expert_elems * (1.0 + 1.0 / 64) : 0.0);
  const double T = static_cast<double>(plan.max_tokens()), H = static_cast<double>(s.hidden_size);
  const double I = static_cast<double>(s.intermediate_size), k = static_cast<double>(s.top_k);
  const double E = static_cast<double>(s.num_experts), tp = static_cast<double>(plan.problem.layout.tp_actual());
  // Case inputs (bf16 + f32 per implementation), logits, outputs, the permuted rows with their
  // gate/up/act/y buffers (every TP rank holds the rows), and the check's output copies.
  const double per_impl = T * H * 4 + T * E * 4 + T * H * 4 * 2;
  m.activations = T * H * 2 + T * E * 4 + impls * per_impl + T * k * tp * (H * 2 + I * 3) * 4;
  if (fp8) m.activations += impls * T * H * 1.05 + T * k * tp * H * 1.05;  // x's codes and scales, sent and received
  return m;
}

}  // namespace moebench
