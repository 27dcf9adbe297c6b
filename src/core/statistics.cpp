// Latency and load summaries.
#include "core/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace moebench {

double percentile(std::span<const double> sorted, double fraction) {
  if (sorted.empty()) return 0.0;
  const double position = fraction * static_cast<double>(sorted.size() - 1);
  const auto lower = static_cast<std::size_t>(std::floor(position));
  const std::size_t upper = std::min(lower + 1, sorted.size() - 1);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - static_cast<double>(lower));
}

LatencyStats summarize_latencies(std::span<const double> samples_ms) {
  LatencyStats stats;
  if (samples_ms.empty()) return stats;
  std::vector<double> sorted(samples_ms.begin(), samples_ms.end());
  std::sort(sorted.begin(), sorted.end());
  const double n = static_cast<double>(sorted.size());
  stats.count = static_cast<int>(sorted.size());
  stats.mean_ms = std::accumulate(sorted.begin(), sorted.end(), 0.0) / n;
  double squares = 0.0;
  for (double x : sorted) squares += (x - stats.mean_ms) * (x - stats.mean_ms);
  stats.std_ms = std::sqrt(squares / n);
  stats.p50_ms = percentile(sorted, 0.50);
  stats.p95_ms = percentile(sorted, 0.95);
  stats.p99_ms = percentile(sorted, 0.99);
  stats.min_ms = sorted.front();
  stats.max_ms = sorted.back();
  return stats;
}

std::vector<std::int64_t> expert_loads(const Routing& routing, int num_experts) {
  std::vector<std::int64_t> loads(static_cast<std::size_t>(num_experts), 0);
  for (std::int32_t e : routing.expert_ids) ++loads[static_cast<std::size_t>(e)];
  return loads;
}

LoadStats summarize_loads(std::span<const std::int64_t> loads, std::int64_t num_tokens, int top_k) {
  LoadStats stats;
  if (loads.empty()) return stats;
  const auto [lo, hi] = std::minmax_element(loads.begin(), loads.end());
  stats.max_load = *hi;
  stats.min_load = *lo;
  stats.avg_load = static_cast<double>(num_tokens * top_k) / static_cast<double>(loads.size());
  stats.max_imbalance = stats.avg_load > 0 ? static_cast<double>(stats.max_load) / stats.avg_load : 0.0;
  return stats;
}

}  // namespace moebench
