// Memory estimates in doubles: sizes from flags can be large enough to overflow 64-bit products.
#include "runner/memory.hpp"

#include <fmt/format.h>
#include <fstream>
#include <sstream>

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
  // bf16 master copy + one f32 copy per implementation + one expert's bf16 conversion buffer.
  m.weights = expert_elems * 2.0 + impls * expert_elems * 4.0 + expert_elems / static_cast<double>(s.num_experts) * 2.0;
  const double T = static_cast<double>(plan.max_tokens()), H = static_cast<double>(s.hidden_size);
  const double I = static_cast<double>(s.intermediate_size), k = static_cast<double>(s.top_k);
  const double E = static_cast<double>(s.num_experts), tp = static_cast<double>(plan.problem.layout.tp_actual());
  // Case inputs (bf16 + f32 per implementation), logits, outputs, the permuted rows with their
  // gate/up/act/y buffers (every TP rank holds the rows), and the check's output copies.
  const double per_impl = T * H * 4 + T * E * 4 + T * H * 4 * 2;
  m.activations = T * H * 2 + T * E * 4 + impls * per_impl + T * k * tp * (H * 2 + I * 3) * 4;
  return m;
}

std::uint64_t available_host_memory() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("MemAvailable:", 0) == 0) {
      std::istringstream fields(line.substr(13));
      std::uint64_t kib = 0;
      fields >> kib;
      return kib * 1024;
    }
  }
  return 0;
}

std::string format_bytes(double bytes) {
  if (bytes >= 1024.0 * 1024 * 1024) return fmt::format("{:.2f} GiB", bytes / (1024.0 * 1024 * 1024));
  if (bytes >= 1024.0 * 1024) return fmt::format("{:.1f} MiB", bytes / (1024.0 * 1024));
  return fmt::format("{:.0f} KiB", bytes / 1024.0);
}

}  // namespace moebench
