// Device routing: one warp routes one token, computing exactly what core/router.cpp computes on
// the host (scores in f32, best groups, top-k with ties to the lower id, renormalise, scale).
#pragma once

#include <cfloat>
#include <cstdint>

#include "moe_kernels/moe_types.hpp"

namespace moe_kernels {

// DeepSeek-V3 scores a group by its best two experts; more is never needed.
constexpr int kMaxGroupScoreTop = 4;

namespace detail {

// Is (score a, id a) ahead of (score b, id b)?
__device__ __forceinline__ bool ranks_before(float sa, int a, float sb, int b) {
  return sa > sb || (sa == sb && a < b);
}

// Warp-wide best (score, id) under ranks_before.
__device__ __forceinline__ void warp_best(float& score, int& id) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) {
    const float other_score = __shfl_xor_sync(0xffffffffu, score, offset);
    const int other_id = __shfl_xor_sync(0xffffffffu, id, offset);
    if (ranks_before(other_score, other_id, score, id)) {
      score = other_score;
      id = other_id;
    }
  }
}

__device__ __forceinline__ float warp_sum(float value) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) value += __shfl_xor_sync(0xffffffffu, value, offset);
  return value;
}

__device__ __forceinline__ float warp_max(float value) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) value = fmaxf(value, __shfl_xor_sync(0xffffffffu, value, offset));
  return value;
}

}  // namespace detail

// Scores of a token in shared memory (`scores`, num_experts floats, this warp's own slice), then
// top-k into ids/weights. `group_scores` holds num_groups floats when the router is grouped.
__device__ __forceinline__ void route_token_warp(const float* __restrict__ logits, const RouterParams& p, float* scores,
                                                 float* group_scores, std::int32_t* ids, float* weights, int lane) {
  const int E = p.num_experts;
  if (!p.sigmoid) {
    float row_max = -FLT_MAX;
    for (int e = lane; e < E; e += 32) row_max = fmaxf(row_max, logits[e]);
    row_max = detail::warp_max(row_max);
    float sum = 0.0f;
    for (int e = lane; e < E; e += 32) {
      scores[e] = expf(logits[e] - row_max);
      sum += scores[e];
    }
    sum = detail::warp_sum(sum);
    for (int e = lane; e < E; e += 32) scores[e] = scores[e] / sum;
  } else {
    for (int e = lane; e < E; e += 32) scores[e] = 1.0f / (1.0f + expf(-logits[e]));
  }
  __syncwarp();

  if (p.num_groups > 1) {
    // A group's score is the sum of its best group_score_top experts; keep the best topk_groups
    // groups and mark the other groups' experts with -inf.
    const int group_size = E / p.num_groups;
    for (int g = lane; g < p.num_groups; g += 32) {
      // The best kMaxGroupScoreTop scores of the group, replacing the smallest, as the host does.
      // best[smallest] and the group_score_top bound are run-time, so best[] lives in local memory
      // (L1): the 16-byte stack frame ptxas reports for each kernel that routes a token.
      float best[kMaxGroupScoreTop];
      for (int i = 0; i < p.group_score_top; ++i) best[i] = -FLT_MAX;
      for (int e = g * group_size; e < (g + 1) * group_size; ++e) {
        int smallest = 0;
        for (int i = 1; i < p.group_score_top; ++i)
          if (best[i] < best[smallest]) smallest = i;
        if (scores[e] > best[smallest]) best[smallest] = scores[e];
      }
      float total = 0.0f;
      for (int i = 0; i < p.group_score_top; ++i) total += best[i];
      group_scores[g] = total;
    }
    __syncwarp();
    for (int pick = 0; pick < p.topk_groups; ++pick) {
      float best = -FLT_MAX;
      int best_g = INT32_MAX;
      for (int g = lane; g < p.num_groups; g += 32)
        if (group_scores[g] > -FLT_MAX && detail::ranks_before(group_scores[g], g, best, best_g)) {
          best = group_scores[g];
          best_g = g;
        }
      detail::warp_best(best, best_g);
      __syncwarp();
      if (lane == 0) group_scores[best_g] = -FLT_MAX;  // chosen: marked so the next pick skips it
      __syncwarp();
    }
    // Chosen groups now hold -FLT_MAX; the others keep a finite score and are masked out.
    for (int e = lane; e < E; e += 32)
      if (group_scores[e / group_size] > -FLT_MAX) scores[e] = -FLT_MAX;
    __syncwarp();
  }

  // Top-k by repeated warp argmax; a chosen expert's score is set below every real score.
  float selected_sum = 0.0f;
  for (int j = 0; j < p.top_k; ++j) {
    float best = -FLT_MAX;
    int best_e = INT32_MAX;
    for (int e = lane; e < E; e += 32)
      if (scores[e] > -FLT_MAX && detail::ranks_before(scores[e], e, best, best_e)) {
        best = scores[e];
        best_e = e;
      }
    detail::warp_best(best, best_e);
    if (lane == 0) {
      ids[j] = best_e;
      weights[j] = best;
      scores[best_e] = -FLT_MAX;
    }
    selected_sum += best;
    __syncwarp();
  }
  if (lane == 0) {
    const float scale = p.routed_scaling_factor / (p.renormalize ? selected_sum : 1.0f);
    for (int j = 0; j < p.top_k; ++j) weights[j] *= scale;
  }
  __syncwarp();
}

// The fused kernels' routing: each warp routes tokens over the grid (its scores in its slice of
// `smem`, num_experts + num_groups floats a warp), then calls routed(t, ids, weights, lane) with the
// token's k experts and weights as a.routing's topk_* hold them. Args names geometry, routing,
// router and logits.
template <typename Args, typename Routed>
__device__ __forceinline__ void route_tokens_by_warp(const Args& a, std::uint8_t* smem, Routed routed) {
  const MoeGeometry& g = a.geometry;
  const RoutingBuffers& r = a.routing;
  const int warps = blockDim.x / 32, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  float* scores = reinterpret_cast<float*>(smem) + warp * (a.router.num_experts + a.router.num_groups);
  float* group_scores = scores + a.router.num_experts;
  for (int t = blockIdx.x * warps + warp; t < g.num_tokens; t += gridDim.x * warps) {
    std::int32_t* ids = r.topk_ids + static_cast<std::int64_t>(t) * g.top_k;
    float* weights = r.topk_weights + static_cast<std::int64_t>(t) * g.top_k;
    route_token_warp(a.logits + static_cast<std::int64_t>(t) * a.router.num_experts, a.router, scores, group_scores,
                     ids, weights, lane);
    routed(t, ids, weights, lane);
  }
}

}  // namespace moe_kernels
