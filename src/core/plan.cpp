// Case enumeration for a plan, the names of its L2 flush, and its timing as headers state it.
#include "core/plan.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "core/name_table.hpp"

namespace moebench {

std::string_view l2_flush_name(L2Flush flush) { return name_in(kL2FlushNames, flush); }

std::optional<L2Flush> parse_l2_flush(std::string_view name) { return value_in(kL2FlushNames, name); }

std::string describe_timing(const TimingConfig& t) {
  return fmt::format("{} warm-up + {} timed iteration(s){}{}", t.warmup_iters, t.benchmark_iters,
                     t.cuda_graph ? ", CUDA graph replays" : "",
                     t.cold_l2 ? fmt::format(", L2 flushed (by a {}) before each", l2_flush_name(t.l2_flush)) : "");
}

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
