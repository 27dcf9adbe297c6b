// Scenario generators: balanced within one token, imbalanced on target, random reproducible.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/router.hpp"
#include "core/scenario.hpp"
#include "core/statistics.hpp"

namespace moebench {
namespace {

LoadStats loads_of(const ScenarioRequest& r) {
  const auto logits = generate_router_logits(r);
  const Routing routing = route_all(logits, r.num_tokens, r.num_experts, r.top_k, r.router);
  return summarize_loads(expert_loads(routing, r.num_experts), r.num_tokens, r.top_k);
}

ScenarioRequest request(Scenario s, std::int64_t tokens, int experts, int top_k, double factor = 3.0) {
  ScenarioRequest r;
  r.scenario = s;
  r.num_tokens = tokens;
  r.num_experts = experts;
  r.top_k = top_k;
  r.imbalance_factor = factor;
  return r;
}

TEST(Scenario, BalancedLoadsDifferByAtMostOne) {
  for (int experts : {8, 60, 128}) {
    for (int top_k : {1, 2, 4, 8}) {
      for (std::int64_t tokens : {1, 3, 64, 257, 1000}) {
        const LoadStats s = loads_of(request(Scenario::kBalanced, tokens, experts, top_k));
        EXPECT_LE(s.max_load - s.min_load, 1) << experts << " " << top_k << " " << tokens;
        if ((tokens * top_k) % experts == 0) {
          EXPECT_DOUBLE_EQ(s.max_imbalance, 1.0);
        }
      }
    }
  }
}

TEST(Scenario, ImbalancedHitsTheTargetFactor) {
  for (int experts : {8, 16, 60, 128, 256}) {
    for (int top_k : {1, 2, 4, 8}) {
      if (top_k > experts) continue;
      for (std::int64_t tokens : {64, 512, 1024, 4096}) {
        const double max_factor = static_cast<double>(experts) / top_k;
        for (double factor : {1.0, 1.5, 3.0, 8.0, max_factor}) {
          if (factor > max_factor) continue;
          const LoadStats s = loads_of(request(Scenario::kImbalanced, tokens, experts, top_k, factor));
          const double one_token = 1.0 / s.avg_load;
          EXPECT_TRUE(std::abs(s.max_imbalance - factor) <= std::max(0.05 * factor, one_token))
              << "E=" << experts << " k=" << top_k << " T=" << tokens << " factor=" << factor << " got "
              << s.max_imbalance;
        }
      }
    }
  }
}

TEST(Scenario, ImbalancedUnderGroupedRoutingStillHitsTheTarget) {
  // DeepSeek-V3's router: 256 experts in 8 groups, 4 groups per token, top-8, sigmoid.
  ScenarioRequest r = request(Scenario::kImbalanced, 2048, 256, 8, 3.0);
  r.router.scoring = ScoringFunc::kSigmoid;
  r.router.num_groups = 8;
  r.router.topk_groups = 4;
  r.router.group_score_top = 2;
  const LoadStats s = loads_of(r);
  EXPECT_NEAR(s.max_imbalance, 3.0, 0.15);
}

TEST(Scenario, TargetLoadsSumToAllPairsAndPeakAtExpertZero) {
  const auto loads = imbalanced_target_loads(1000, 60, 4, 3.0);
  EXPECT_EQ(std::accumulate(loads.begin(), loads.end(), std::int64_t{0}), 4000);
  EXPECT_EQ(*std::max_element(loads.begin(), loads.end()), loads[0]);
  EXPECT_EQ(loads[0], 200);  // 3.0 * 4000 / 60
  EXPECT_TRUE(std::is_sorted(loads.begin() + 1, loads.end(), std::greater<>()));
  for (auto l : loads) EXPECT_LE(l, 1000);
}

TEST(Scenario, FactorRangeIsOneToExpertsOverTopK) {
  const FactorRange range = imbalanced_factor_range(128, 8, RouterConfig{});
  EXPECT_DOUBLE_EQ(range.min, 1.0);
  EXPECT_DOUBLE_EQ(range.max, 16.0);
}

TEST(Scenario, RandomIsReproduciblePerSeed) {
  ScenarioRequest r = request(Scenario::kRandom, 100, 16, 2);
  const auto a = generate_router_logits(r);
  const auto b = generate_router_logits(r);
  EXPECT_EQ(a, b);
  r.seed = 43;
  EXPECT_NE(a, generate_router_logits(r));
  // N(0, 1): mean near 0, variance near 1 over 1600 samples.
  const double mean = std::accumulate(a.begin(), a.end(), 0.0) / a.size();
  double var = 0;
  for (float x : a) var += (x - mean) * (x - mean);
  var /= a.size();
  EXPECT_NEAR(mean, 0.0, 0.1);
  EXPECT_NEAR(var, 1.0, 0.15);
  // Natural imbalance of a random router is modest.
  const LoadStats s = loads_of(request(Scenario::kRandom, 4096, 64, 4));
  EXPECT_GT(s.max_imbalance, 1.0);
  EXPECT_LT(s.max_imbalance, 2.0);
}

TEST(Scenario, EveryScenarioIsDeterministicAndDistinctPerTokenCount) {
  for (Scenario s : {Scenario::kRandom, Scenario::kBalanced, Scenario::kImbalanced}) {
    const auto a = generate_router_logits(request(s, 64, 8, 2));
    EXPECT_EQ(a, generate_router_logits(request(s, 64, 8, 2)));
    EXPECT_EQ(a.size(), 64u * 8u);
  }
}

TEST(Scenario, Names) {
  EXPECT_EQ(parse_scenario("imbalanced"), Scenario::kImbalanced);
  EXPECT_FALSE(parse_scenario("skewed"));
  EXPECT_EQ(scenario_name(Scenario::kBalanced), "balanced");
}

}  // namespace
}  // namespace moebench
