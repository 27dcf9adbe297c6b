// Routing: router logits (T, E) f32 to top-k expert ids and combine weights, as the models route.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace moebench {

enum class ScoringFunc { kSoftmax, kSigmoid };

// How a model turns logits into (ids, weights). The default is the spec's: softmax, top-k, renormalize.
struct RouterConfig {
  ScoringFunc scoring = ScoringFunc::kSoftmax;
  bool renormalize = true;  // norm_topk_prob
  int num_groups = 1;       // n_group: experts split in equal groups (DeepSeek)
  int topk_groups = 1;      // topk_group: only experts of the best groups compete
  int group_score_top = 1;  // a group scores by the sum of its best `group_score_top` experts
  double routed_scaling_factor = 1.0;

  bool grouped() const { return num_groups > 1; }
  std::string describe() const;
  // The config's topk_method this router implements: greedy, group_limited_greedy (DeepSeek-V2) or
  // noaux_tc (DeepSeek-V3, groups scored by their best two).
  std::string topk_method() const;
};

// Top-k result for T tokens: ids[t * k + j] and weights[t * k + j], slot j in descending score order.
struct Routing {
  std::int64_t num_tokens = 0;
  int top_k = 0;
  std::vector<std::int32_t> expert_ids;
  std::vector<float> weights;
};

// Routes the tokens whose logits are the rows of `logits` (row-major, `num_experts` wide) into
// `ids` and `weights` (top_k per token). Ties go to the lower expert (and group) id.
void route_tokens(std::span<const float> logits, int num_experts, int top_k, const RouterConfig& config,
                  std::span<std::int32_t> ids, std::span<float> weights);

Routing route_all(std::span<const float> logits, std::int64_t num_tokens, int num_experts, int top_k,
                  const RouterConfig& config);

}  // namespace moebench
