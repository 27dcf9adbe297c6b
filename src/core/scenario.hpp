// The three router-logit scenarios (spec: "Scenarios"): random, balanced, calibrated imbalanced.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "core/router.hpp"

namespace moebench {

enum class Scenario { kRandom, kBalanced, kImbalanced };

// Each scenario's one name: scenario_name, parse_scenario, --scenarios and the outputs spell it so.
inline constexpr std::array<std::pair<Scenario, std::string_view>, 3> kScenarioNames{
    {{Scenario::kRandom, "random"}, {Scenario::kBalanced, "balanced"}, {Scenario::kImbalanced, "imbalanced"}}};

std::string_view scenario_name(Scenario scenario);
std::optional<Scenario> parse_scenario(std::string_view name);

struct ScenarioRequest {
  Scenario scenario = Scenario::kRandom;
  std::int64_t num_tokens = 0;
  int num_experts = 0;
  int top_k = 0;
  double imbalance_factor = 3.0;  // imbalanced only: target max_load / avg_load
  RouterConfig router;            // grouped routers constrain which expert sets a token can get
  std::uint64_t seed = 42;
};

// The range of max_load / avg_load an imbalanced run can hit: [1, E/k] (with grouped routing,
// at most topk_groups * group_size / k as well, see imbalanced_factor_range's comment).
struct FactorRange {
  double min = 1.0;
  double max = 1.0;
};
FactorRange imbalanced_factor_range(int num_experts, int top_k, const RouterConfig& router);

// Router logits (T, E) row-major, deterministic for the request.
std::vector<float> generate_router_logits(const ScenarioRequest& request);

// The per-expert loads the imbalanced scenario aims for: expert 0 carries round(factor * avg),
// the rest decay exponentially, every load at most expert 0's and at most T. Exposed for tests.
std::vector<std::int64_t> imbalanced_target_loads(std::int64_t num_tokens, int num_experts, int top_k, double factor);

}  // namespace moebench
