// The decode kernel's routing: every CTA routes every token itself, into its own shared memory, so
// that no grid barrier stands between the launch and the first weight load. Up to 64 tokens this
// costs each CTA one read of the logits (from L2 after the first CTA) and a few tokens per warp.
// Every CTA must arrive at the same plan: rows are sorted by expert, then by token, with no
// atomics deciding any order.
#pragma once

#include <cstdint>

#include "moe_kernels/decode_limits.hpp"
#include "moe_kernels/detail/routing.cuh"
#include "moe_kernels/moe_types.hpp"

namespace moe_kernels {

// The sum of `value` over the warp's lanes below `lane` (every lane calls it).
__device__ __forceinline__ int warp_exclusive_sum(int value, int lane) {
  int inclusive = value;
#pragma unroll
  for (int offset = 1; offset < 32; offset *= 2) {
    const int below = __shfl_up_sync(0xffffffffu, inclusive, offset);
    if (lane >= offset) inclusive += below;
  }
  return inclusive - value;
}

// The routed tokens as the CTA keeps them for the whole launch.
struct DecodeRoutes {
  int num_active;                                    // local experts with at least one token
  int active_expert[kDecodeMaxExperts];              // those experts, ascending
  int active_offset[kDecodeMaxExperts + 1];          // first sorted row of each, then the row count
  int sorted_token[kDecodeMaxPairs];                 // token of each sorted row
  float sorted_weight[kDecodeMaxPairs];              // its routing weight
  unsigned long long token_mask[kDecodeMaxExperts];  // bit t: token t chose the expert
};

// Where route_tokens_in_cta also writes its plan, beyond the CTA's shared memory: nowhere (the
// fused decode kernels, whose every CTA routes for itself), or epmoe's routing buffers
// (GlobalRoutePlan). expert_offset(e, row): local expert e's first sorted row (e = local experts:
// the rows in all); pair(pair, expert, weight, row): (token, slot) pair `pair` chose global expert
// `expert` with `weight`, and is sorted row `row` (-1: not a local expert).
struct NoGlobalRoutePlan {
  __device__ __forceinline__ void expert_offset(int, int) const {}
  __device__ __forceinline__ void pair(int, int, float, int) const {}
};

// All threads of the CTA call this; `scratch` is decode_routing_scratch_bytes of shared memory
// free until it returns. before_sort() runs on every thread once every token is routed.
template <typename BeforeSort, typename GlobalPlan = NoGlobalRoutePlan>
__device__ __forceinline__ void route_tokens_in_cta(const float* logits, const MoeGeometry& g, const RouterParams& p,
                                                    std::uint8_t* scratch, DecodeRoutes& routes, BeforeSort before_sort,
                                                    GlobalPlan global_plan = {}) {
  const int T = g.num_tokens, E = p.num_experts, k = g.top_k, pairs = T * k, local = g.local_experts;
  const int thread = threadIdx.x, threads = blockDim.x, warp = thread / 32, lane = thread % 32;
  float* token_logits = reinterpret_cast<float*>(scratch);
  float* warp_scores = token_logits + T * E;
  int* pair_expert = reinterpret_cast<int*>(warp_scores + kDecodeWarps * (E + p.num_groups));
  float* pair_weight = reinterpret_cast<float*>(pair_expert + pairs);
  int* expert_offset = reinterpret_cast<int*>(pair_weight + pairs);

  // Every load in flight at once, rather than a dependent round trip per token and warp.
  for (int i = thread; i < T * E; i += threads) token_logits[i] = __ldg(logits + i);
  for (int e = thread; e < local; e += threads) routes.token_mask[e] = 0;
  __syncthreads();
  float* scores = warp_scores + warp * (E + p.num_groups);
  for (int t = warp; t < T; t += threads / 32)
    route_token_warp(token_logits + t * E, p, scores, scores + E, pair_expert + t * k, pair_weight + t * k, lane);
  __syncthreads();
  before_sort();
  for (int pair = thread; pair < pairs; pair += threads) {
    const int e = pair_expert[pair] - g.expert_begin;
    if (e >= 0 && e < local) atomicOr(&routes.token_mask[e], 1ull << (pair / k));
  }
  __syncthreads();
  if (warp == 0) {
    // Each lane a run of experts: its rows and active experts, then a warp scan of both.
    const int per_lane = (local + 31) / 32, first = min(local, lane * per_lane), last = min(local, first + per_lane);
    int rows = 0, active = 0;
    for (int e = first; e < last; ++e) {
      const int count = __popcll(routes.token_mask[e]);
      rows += count;
      active += count > 0 ? 1 : 0;
    }
    int rows_before = warp_exclusive_sum(rows, lane), active_before = warp_exclusive_sum(active, lane);
    for (int e = first; e < last; ++e) {
      const int count = __popcll(routes.token_mask[e]);
      expert_offset[e] = rows_before;
      global_plan.expert_offset(e, rows_before);
      if (count > 0) {
        routes.active_expert[active_before] = e;
        routes.active_offset[active_before] = rows_before;
        ++active_before;
      }
      rows_before += count;
    }
    if (lane == 31) {
      routes.num_active = active_before;
      routes.active_offset[active_before] = rows_before;
      global_plan.expert_offset(local, rows_before);
    }
  }
  __syncthreads();
  for (int pair = thread; pair < pairs; pair += threads) {
    const int e = pair_expert[pair] - g.expert_begin;
    if (e < 0 || e >= local) {
      global_plan.pair(pair, pair_expert[pair], pair_weight[pair], -1);
      continue;
    }
    const int t = pair / k;
    const int row = expert_offset[e] + __popcll(routes.token_mask[e] & ((1ull << t) - 1));
    routes.sorted_token[row] = t;
    routes.sorted_weight[row] = pair_weight[pair];
    global_plan.pair(pair, pair_expert[pair], pair_weight[pair], row);
  }
  __syncthreads();
}

// epmoe's decode GEMMs: the experts with rows and their first rows, from the offsets the scan
// kernel wrote (local_experts + 1 of them). All threads call this.
__device__ __forceinline__ void load_active_experts(const std::int32_t* expert_offsets, int local_experts,
                                                    DecodeRoutes& routes) {
  const int lane = threadIdx.x % 32;
  if (threadIdx.x < 32) {
    const int per_lane = (local_experts + 31) / 32, first = min(local_experts, lane * per_lane);
    const int last = min(local_experts, first + per_lane);
    int active = 0;
    for (int e = first; e < last; ++e) active += __ldcg(&expert_offsets[e + 1]) > __ldcg(&expert_offsets[e]) ? 1 : 0;
    int before = warp_exclusive_sum(active, lane);
    for (int e = first; e < last; ++e) {
      const int row = __ldcg(&expert_offsets[e]);
      if (__ldcg(&expert_offsets[e + 1]) > row) {
        routes.active_expert[before] = e;
        routes.active_offset[before] = row;
        ++before;
      }
    }
    if (lane == 31) {
      routes.num_active = before;
      routes.active_offset[before] = __ldcg(&expert_offsets[local_experts]);
    }
  }
  __syncthreads();
}

}  // namespace moe_kernels
