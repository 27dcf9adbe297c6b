// Routing in f32, one token at a time; the same function the device kernels implement.
#include "core/router.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>

namespace moebench {

std::string RouterConfig::describe() const {
  std::string text = scoring == ScoringFunc::kSoftmax ? "softmax" : "sigmoid";
  if (grouped()) text += fmt::format(", grouped top-k ({} groups, best {})", num_groups, topk_groups);
  text += renormalize ? ", renormalized" : ", not renormalized";
  if (routed_scaling_factor != 1.0) text += fmt::format(", scaled x{}", routed_scaling_factor);
  return text;
}

std::string RouterConfig::topk_method() const {
  if (!grouped()) return "greedy";
  return group_score_top == 2 ? "noaux_tc" : "group_limited_greedy";
}

namespace {

// Is (score_a, a) ahead of (score_b, b)? Higher score first, then lower id.
bool ranks_before(float score_a, int a, float score_b, int b) {
  return score_a > score_b || (score_a == score_b && a < b);
}

// Marks as eligible only the experts of the `topk_groups` best groups.
void mask_to_best_groups(std::span<const float> scores, const RouterConfig& config, std::vector<char>& eligible) {
  const int num_experts = static_cast<int>(scores.size());
  const int group_size = num_experts / config.num_groups;
  std::vector<float> group_score(static_cast<size_t>(config.num_groups));
  std::vector<float> best(static_cast<size_t>(config.group_score_top));
  for (int g = 0; g < config.num_groups; ++g) {
    std::fill(best.begin(), best.end(), -std::numeric_limits<float>::infinity());
    for (int e = g * group_size; e < (g + 1) * group_size; ++e) {
      const float s = scores[static_cast<size_t>(e)];
      auto slot = std::min_element(best.begin(), best.end());
      if (s > *slot) *slot = s;
    }
    float sum = 0.0f;
    for (float b : best) sum += b;
    group_score[static_cast<size_t>(g)] = sum;
  }
  std::vector<int> order(static_cast<size_t>(config.num_groups));
  for (int g = 0; g < config.num_groups; ++g) order[static_cast<size_t>(g)] = g;
  std::partial_sort(order.begin(), order.begin() + config.topk_groups, order.end(), [&](int a, int b) {
    return ranks_before(group_score[static_cast<size_t>(a)], a, group_score[static_cast<size_t>(b)], b);
  });
  std::fill(eligible.begin(), eligible.end(), 0);
  for (int i = 0; i < config.topk_groups; ++i) {
    const int g = order[static_cast<size_t>(i)];
    std::fill(eligible.begin() + g * group_size, eligible.begin() + (g + 1) * group_size, 1);
  }
}

}  // namespace

void route_tokens(std::span<const float> logits, int num_experts, int top_k, const RouterConfig& config,
                  std::span<std::int32_t> out_ids, std::span<float> out_weights) {
  std::vector<float> scores(static_cast<size_t>(num_experts));
  std::vector<char> eligible(static_cast<size_t>(num_experts), 1);
  const auto count = static_cast<std::int64_t>(logits.size()) / num_experts;
  for (std::int64_t t = 0; t < count; ++t) {
    const float* row = logits.data() + t * num_experts;
    float score_sum = 0.0f;
    if (config.scoring == ScoringFunc::kSoftmax) {
      const float row_max = *std::max_element(row, row + num_experts);
      for (int e = 0; e < num_experts; ++e) {
        scores[static_cast<size_t>(e)] = std::exp(row[e] - row_max);
        score_sum += scores[static_cast<size_t>(e)];
      }
      for (float& s : scores) s /= score_sum;
    } else {
      for (int e = 0; e < num_experts; ++e) scores[static_cast<size_t>(e)] = 1.0f / (1.0f + std::exp(-row[e]));
    }
    if (config.grouped()) mask_to_best_groups(scores, config, eligible);

    std::int32_t* ids = out_ids.data() + t * top_k;
    float* weights = out_weights.data() + t * top_k;
    // Insertion into a sorted top-k list: k is small (at most a few dozen).
    int filled = 0;
    for (int e = 0; e < num_experts; ++e) {
      if (!eligible[static_cast<size_t>(e)]) continue;
      const float s = scores[static_cast<size_t>(e)];
      if (filled == top_k && !ranks_before(s, e, weights[top_k - 1], ids[top_k - 1])) continue;
      int pos = filled < top_k ? filled++ : top_k - 1;
      while (pos > 0 && ranks_before(s, e, weights[pos - 1], ids[pos - 1])) {
        weights[pos] = weights[pos - 1];
        ids[pos] = ids[pos - 1];
        --pos;
      }
      weights[pos] = s;
      ids[pos] = e;
    }
    float selected_sum = 0.0f;
    for (int j = 0; j < top_k; ++j) selected_sum += weights[j];
    const float scale = static_cast<float>(config.routed_scaling_factor) / (config.renormalize ? selected_sum : 1.0f);
    for (int j = 0; j < top_k; ++j) weights[j] *= scale;
  }
}

Routing route_all(std::span<const float> logits, std::int64_t num_tokens, int num_experts, int top_k,
                  const RouterConfig& config) {
  Routing routing;
  routing.num_tokens = num_tokens;
  routing.top_k = top_k;
  routing.expert_ids.resize(static_cast<size_t>(num_tokens * top_k));
  routing.weights.resize(static_cast<size_t>(num_tokens * top_k));
  constexpr std::int64_t kChunk = 256;
  const std::int64_t chunks = (num_tokens + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static)
  for (std::int64_t c = 0; c < chunks; ++c) {
    const std::int64_t first = c * kChunk;
    const std::int64_t count = std::min(kChunk, num_tokens - first);
    route_tokens(
        logits.subspan(static_cast<size_t>(first * num_experts), static_cast<size_t>(count * num_experts)), num_experts,
        top_k, config,
        std::span(routing.expert_ids).subspan(static_cast<size_t>(first * top_k), static_cast<size_t>(count * top_k)),
        std::span(routing.weights).subspan(static_cast<size_t>(first * top_k), static_cast<size_t>(count * top_k)));
  }
  return routing;
}

}  // namespace moebench
