// The weighted combine both paths end with: out[t] = sum_j w[t,j] * y[row(t,j)], in f32, slot
// order j, one warp per token. The k rows and weights are read once per token into registers, and
// each lane issues its k loads of y before summing, so the loads overlap instead of forming a
// chain of dependent L2 round trips.
#pragma once

#include <cstdint>
#include <cuda_bf16.h>

#include "moe_kernels/moe_types.hpp"

namespace moe_kernels {

constexpr int kCombineMaxSlots = 8;  // loads in flight per lane; more slots take further passes

// Slot j's sorted row and weight: from lane j's registers for the first 32 slots (every lane
// calls this with the same j), from memory beyond.
struct SlotSource {
  int my_row;
  float my_weight;
  const RoutingBuffers* r;
  int pair0;
  int k;
  __device__ __forceinline__ int row(int j) const {
    const int shuffled = __shfl_sync(0xffffffffu, my_row, j & 31);
    if (j >= k) return -1;
    return j < 32 ? shuffled : __ldcg(&r->pair_row[pair0 + j]);
  }
  __device__ __forceinline__ float weight(int j) const {
    const float shuffled = __shfl_sync(0xffffffffu, my_weight, j & 31);
    if (j >= k) return 0.0f;
    return j < 32 ? shuffled : __ldcg(&r->topk_weights[pair0 + j]);
  }
};

__device__ __forceinline__ void combine_token_warp(const __nv_bfloat16* y, const MoeGeometry& g,
                                                   const RoutingBuffers& r, __nv_bfloat16* out, int token, int lane) {
  const int k = g.top_k;
  const std::int64_t y_stride = g.hidden_stride();
  __nv_bfloat16* out_row = out + static_cast<std::int64_t>(token) * g.hidden;
  const SlotSource slots{lane < k ? __ldcg(&r.pair_row[token * k + lane]) : -1,
                         lane < k ? __ldcg(&r.topk_weights[token * k + lane]) : 0.0f, &r, token * k, k};
  if (g.hidden % 8 == 0) {
    const int vectors = g.hidden / 8;
    for (int v = lane; v - lane < vectors; v += 32) {
      float sum[8] = {};
      for (int base = 0; base < k; base += kCombineMaxSlots) {
        uint4 packed[kCombineMaxSlots];
        float weight[kCombineMaxSlots];
#pragma unroll
        for (int j = 0; j < kCombineMaxSlots; ++j) {
          const int slot = base + j;
          const int row = slots.row(slot);
          weight[j] = slots.weight(slot);
          const bool use = slot < k && row >= 0 && v < vectors;
          packed[j] = use ? __ldcg(reinterpret_cast<const uint4*>(y + row * y_stride) + v) : make_uint4(0, 0, 0, 0);
          if (!use) weight[j] = 0.0f;
        }
#pragma unroll
        for (int j = 0; j < kCombineMaxSlots; ++j) {
          const __nv_bfloat162* pairs = reinterpret_cast<const __nv_bfloat162*>(&packed[j]);
#pragma unroll
          for (int i = 0; i < 4; ++i) {
            const float2 f = __bfloat1622float2(pairs[i]);
            sum[2 * i] += weight[j] * f.x;
            sum[2 * i + 1] += weight[j] * f.y;
          }
        }
      }
      if (v < vectors) {
        uint4 result;
        __nv_bfloat162* out_pairs = reinterpret_cast<__nv_bfloat162*>(&result);
#pragma unroll
        for (int i = 0; i < 4; ++i) out_pairs[i] = __floats2bfloat162_rn(sum[2 * i], sum[2 * i + 1]);
        reinterpret_cast<uint4*>(out_row)[v] = result;
      }
    }
  } else {
    for (int c = lane; c - lane < g.hidden; c += 32) {
      float sum = 0.0f;
      for (int j = 0; j < k; ++j) {
        const int row = slots.row(j);
        const float w = slots.weight(j);
        if (c < g.hidden && row >= 0) sum += w * __bfloat162float(y[row * y_stride + c]);
      }
      if (c < g.hidden) out_row[c] = __float2bfloat16_rn(sum);
    }
  }
}

}  // namespace moe_kernels
