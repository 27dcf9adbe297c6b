// FNV-1a over a canonical JSON of the plan's shared fields.
#include "multinode/fingerprint.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace moebench::multinode {

std::string config_fingerprint(const BenchmarkPlan& p) {
  const MoeShape& s = p.problem.shape;
  const Layout& l = p.problem.layout;
  std::vector<std::string> scenarios, impls;
  for (Scenario sc : p.scenarios) scenarios.emplace_back(scenario_name(sc));
  for (ImplKind k : p.implementations) impls.emplace_back(impl_name(k));
  const nlohmann::json canonical = {
      {"shape",
       {s.num_experts, s.top_k, s.hidden_size, s.intermediate_size, std::string(activation_name(s.activation))}},
      {"router", s.router.describe()},
      {"layout", {l.tp_size, l.ep_size, l.nnodes}},
      {"dtype", p.problem.dtype == WeightDtype::kFp8Block128 ? "fp8" : "bf16"},
      {"tokens", p.token_counts},
      {"scenarios", scenarios},
      {"imbalance_factor", p.imbalance_factor},
      {"implementations", impls},
      {"timing",
       {p.timing.warmup_iters, p.timing.benchmark_iters, p.timing.cuda_graph, p.timing.cold_l2,
        std::string(l2_flush_name(p.timing.l2_flush))}},
      {"seed", p.seed},
      {"check", p.check},
      {"profile", p.profile},
  };
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : canonical.dump()) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return fmt::format("{:016x}", hash);
}

}  // namespace moebench::multinode
