// Summaries of measured iterations and of expert loads (spec: "What is timed", "Load metrics").
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/router.hpp"

namespace moebench {

struct LatencyStats {
  int count = 0;
  double mean_ms = 0, std_ms = 0, p50_ms = 0, p95_ms = 0, p99_ms = 0, min_ms = 0, max_ms = 0;
};

// Population std; percentiles by linear interpolation between order statistics (numpy's default).
LatencyStats summarize_latencies(std::span<const double> samples_ms);
double percentile(std::span<const double> sorted, double fraction);

struct LoadStats {
  std::int64_t max_load = 0;
  std::int64_t min_load = 0;
  double avg_load = 0;       // T*k / E
  double max_imbalance = 0;  // max_load / avg_load
};

// Tokens routed to each expert, over every (token, slot) pair.
std::vector<std::int64_t> expert_loads(const Routing& routing, int num_experts);
LoadStats summarize_loads(std::span<const std::int64_t> loads, std::int64_t num_tokens, int top_k);

}  // namespace moebench
