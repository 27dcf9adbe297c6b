// Case enumeration for a plan.
#include "core/plan.hpp"

#include <algorithm>

namespace moebench {

std::vector<BenchCase> BenchmarkPlan::cases() const {
  std::vector<BenchCase> all;
  for (Scenario s : scenarios)
    for (std::int64_t t : token_counts) all.push_back({s, t});
  return all;
}

std::int64_t BenchmarkPlan::max_tokens() const {
  return token_counts.empty() ? 0 : *std::max_element(token_counts.begin(), token_counts.end());
}

}  // namespace moebench
