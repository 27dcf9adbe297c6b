// Latency statistics and load metrics on hand-made inputs.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/statistics.hpp"

namespace moebench {
namespace {

TEST(LatencyStats, MeanStdAndPercentiles) {
  const std::vector<double> samples{4.0, 1.0, 3.0, 2.0, 5.0};
  const LatencyStats s = summarize_latencies(samples);
  EXPECT_EQ(s.count, 5);
  EXPECT_DOUBLE_EQ(s.mean_ms, 3.0);
  EXPECT_DOUBLE_EQ(s.std_ms, std::sqrt(2.0));  // population std
  EXPECT_DOUBLE_EQ(s.p50_ms, 3.0);
  EXPECT_DOUBLE_EQ(s.p95_ms, 4.8);  // 0.95 * 4 = 3.8 -> 4 + 0.8 * (5 - 4)
  EXPECT_DOUBLE_EQ(s.p99_ms, 4.96);
  EXPECT_DOUBLE_EQ(s.min_ms, 1.0);
  EXPECT_DOUBLE_EQ(s.max_ms, 5.0);
}

TEST(LatencyStats, PercentilesInterpolateLikeNumpy) {
  const std::vector<double> sorted{10.0, 20.0};
  EXPECT_DOUBLE_EQ(percentile(sorted, 0.5), 15.0);
  EXPECT_DOUBLE_EQ(percentile(sorted, 0.95), 19.5);
  const std::vector<double> one{7.0};
  EXPECT_DOUBLE_EQ(percentile(one, 0.99), 7.0);
}

TEST(LatencyStats, EmptyIsZero) {
  const LatencyStats s = summarize_latencies({});
  EXPECT_EQ(s.count, 0);
  EXPECT_EQ(s.mean_ms, 0.0);
}

TEST(LoadStats, HandMadeRouting) {
  Routing r;
  r.num_tokens = 4;
  r.top_k = 2;
  // Expert 0 gets 4 pairs, expert 1 gets 2, expert 2 gets 2, expert 3 gets none.
  r.expert_ids = {0, 1, 0, 2, 0, 1, 0, 2};
  r.weights.assign(8, 0.5f);
  const auto loads = expert_loads(r, 4);
  EXPECT_EQ(loads, (std::vector<std::int64_t>{4, 2, 2, 0}));
  const LoadStats s = summarize_loads(loads, 4, 2);
  EXPECT_EQ(s.max_load, 4);
  EXPECT_EQ(s.min_load, 0);
  EXPECT_DOUBLE_EQ(s.avg_load, 2.0);
  EXPECT_DOUBLE_EQ(s.max_imbalance, 2.0);
}

TEST(LoadStats, PerfectBalance) {
  const std::vector<std::int64_t> loads{3, 3, 3};
  const LoadStats s = summarize_loads(loads, 9, 1);
  EXPECT_DOUBLE_EQ(s.max_imbalance, 1.0);
  EXPECT_EQ(s.min_load, 3);
}

}  // namespace
}  // namespace moebench
