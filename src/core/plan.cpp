// Case enumeration for a plan, and the names of its L2 flush.
#include "core/plan.hpp"

#include <algorithm>

#include "core/name_table.hpp"

namespace moebench {

std::string_view l2_flush_name(L2Flush flush) { return name_in(kL2FlushNames, flush); }

std::optional<L2Flush> parse_l2_flush(std::string_view name) { return value_in(kL2FlushNames, name); }

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
