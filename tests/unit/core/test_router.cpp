// Routing: softmax, ties, renormalisation, sigmoid and grouped top-k against hand-computed values.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/router.hpp"

namespace moebench {
namespace {

Routing route(const std::vector<float>& logits, int num_experts, int top_k, const RouterConfig& config = {}) {
  return route_all(logits, static_cast<std::int64_t>(logits.size()) / num_experts, num_experts, top_k, config);
}

TEST(Router, SoftmaxTopKRenormalized) {
  const Routing r = route({1.0f, 3.0f, 2.0f, 0.0f}, 4, 2);
  ASSERT_EQ(r.expert_ids.size(), 2u);
  EXPECT_EQ(r.expert_ids[0], 1);
  EXPECT_EQ(r.expert_ids[1], 2);
  // Renormalised over the two selected: e^3 / (e^3 + e^2) and e^2 / (e^3 + e^2).
  const double first = std::exp(3.0) / (std::exp(3.0) + std::exp(2.0));
  EXPECT_NEAR(r.weights[0], first, 1e-6);
  EXPECT_NEAR(r.weights[1], 1.0 - first, 1e-6);
}

TEST(Router, SoftmaxWithoutRenormalization) {
  RouterConfig config;
  config.renormalize = false;
  const Routing r = route({1.0f, 3.0f, 2.0f, 0.0f}, 4, 2, config);
  const double sum = std::exp(0.0) + std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(r.weights[0], std::exp(3.0) / sum, 1e-6);
  EXPECT_NEAR(r.weights[1], std::exp(2.0) / sum, 1e-6);
}

TEST(Router, TiesGoToTheLowerExpert) {
  const Routing r = route({0.5f, 2.0f, 2.0f, 2.0f, 0.5f}, 5, 2);
  EXPECT_EQ(r.expert_ids[0], 1);
  EXPECT_EQ(r.expert_ids[1], 2);
  const Routing all_equal = route({0.0f, 0.0f, 0.0f, 0.0f}, 4, 3);
  EXPECT_EQ(all_equal.expert_ids, (std::vector<std::int32_t>{0, 1, 2}));
  for (float w : all_equal.weights) EXPECT_NEAR(w, 1.0 / 3.0, 1e-7);
}

TEST(Router, SlotsAreInDescendingScoreOrder) {
  const Routing r = route({0.1f, 0.9f, 0.5f, 0.7f, 0.3f, 0.8f}, 6, 4);
  EXPECT_EQ(r.expert_ids, (std::vector<std::int32_t>{1, 5, 3, 2}));
  for (int j = 1; j < 4; ++j) EXPECT_GE(r.weights[j - 1], r.weights[j]);
}

TEST(Router, EachTokenIsRoutedOnItsOwn) {
  const Routing r = route({5.0f, 0.0f, 0.0f, /**/ 0.0f, 0.0f, 5.0f}, 3, 1);
  EXPECT_EQ(r.expert_ids, (std::vector<std::int32_t>{0, 2}));
  EXPECT_FLOAT_EQ(r.weights[0], 1.0f);
}

TEST(Router, RoutedScalingFactorScalesTheWeights) {
  RouterConfig config;
  config.routed_scaling_factor = 2.5;
  const Routing r = route({1.0f, 3.0f, 2.0f, 0.0f}, 4, 2, config);
  EXPECT_NEAR(r.weights[0] + r.weights[1], 2.5, 1e-6);
}

// DeepSeek-V3 style: sigmoid scores, 4 groups of 2, best 2 groups by the sum of their best two,
// top-2 inside them, renormalised, scaled.
TEST(Router, SigmoidGroupedTopK) {
  RouterConfig config;
  config.scoring = ScoringFunc::kSigmoid;
  config.num_groups = 4;
  config.topk_groups = 2;
  config.group_score_top = 2;
  config.routed_scaling_factor = 2.0;
  // Expert 6 has the single highest score, but group 3 (experts 6, 7) sums lower than groups
  // 0 and 1, so it is excluded; expert 2 (group 1) and expert 0 (group 0) win.
  const std::vector<float> logits{1.0f, 0.9f, 1.5f, 0.8f, -2.0f, -2.0f, 3.0f, -3.0f};
  const Routing r = route(logits, 8, 2, config);
  EXPECT_EQ(r.expert_ids, (std::vector<std::int32_t>{2, 0}));
  const double s2 = 1.0 / (1.0 + std::exp(-1.5)), s0 = 1.0 / (1.0 + std::exp(-1.0));
  EXPECT_NEAR(r.weights[0], 2.0 * s2 / (s2 + s0), 1e-6);
  EXPECT_NEAR(r.weights[1], 2.0 * s0 / (s2 + s0), 1e-6);
}

// DeepSeek-V2 style: softmax, a group scores by its best expert, no renormalisation.
TEST(Router, SoftmaxGroupLimitedGreedy) {
  RouterConfig config;
  config.num_groups = 2;
  config.topk_groups = 1;
  config.group_score_top = 1;
  config.renormalize = false;
  // Group 1 (experts 2, 3) holds the best expert (3): experts 3 and 2 win although expert 0
  // scores above expert 2.
  const std::vector<float> logits{2.0f, 1.9f, 1.0f, 2.5f};
  const Routing r = route(logits, 4, 2, config);
  EXPECT_EQ(r.expert_ids, (std::vector<std::int32_t>{3, 2}));
  const double sum = std::exp(2.0) + std::exp(1.9) + std::exp(1.0) + std::exp(2.5);
  EXPECT_NEAR(r.weights[0], std::exp(2.5) / sum, 1e-6);
  EXPECT_NEAR(r.weights[1], std::exp(1.0) / sum, 1e-6);
}

}  // namespace
}  // namespace moebench
