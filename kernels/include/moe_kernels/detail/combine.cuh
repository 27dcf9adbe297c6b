// The weighted combine both paths end with: out[t] = sum_j w[t,j] * sum_p y_p[row(t,j)], in f32,
// slot order j, one warp per token. p runs over the partial sums a token's rows arrive in (one on
// one GPU; the TP ranks of the owning expert group under tensor parallelism). The k rows and
// weights are read once per token into registers, and each lane issues its loads of y (k slots
// times kCombineVectors vectors) before summing, so they overlap instead of forming a chain of
// dependent round trips.
#pragma once

#include <cstdint>
#include <cuda_bf16.h>

#include "moe_kernels/combine_source.hpp"
#include "moe_kernels/moe_types.hpp"

namespace moe_kernels {

constexpr int kCombineMaxSlots = 8;  // slots loaded at once; more slots take further passes
// 16-byte vectors of each slot's row a lane loads at once: with 8 slots, 16 loads in flight per
// lane, enough to keep HBM busy when the rows of y have left L2 (T >= 4096 on Qwen3, bench/notes.md).
constexpr int kCombineVectors = 2;

// Slot j's row and weight: from lane j's registers for the first 32 slots (every lane calls this
// with the same j), from memory beyond.
struct SlotSource {
  int my_row;
  float my_weight;
  const RoutingBuffers* r;
  int pair0;
  int k;
  bool pair_rows;
  __device__ __forceinline__ int row(int j) const {
    const int shuffled = __shfl_sync(0xffffffffu, my_row, j & 31);
    if (j >= k) return -1;
    if (pair_rows) return pair0 + j;
    return j < 32 ? shuffled : __ldcg(&r->pair_row[pair0 + j]);
  }
  __device__ __forceinline__ float weight(int j) const {
    const float shuffled = __shfl_sync(0xffffffffu, my_weight, j & 31);
    if (j >= k) return 0.0f;
    return j < 32 ? shuffled : __ldcg(&r->topk_weights[pair0 + j]);
  }
};

__device__ __forceinline__ void combine_token_warp(const CombineSource& src, const MoeGeometry& g,
                                                   const RoutingBuffers& r, __nv_bfloat16* out, int token, int lane) {
  const int k = g.top_k;
  __nv_bfloat16* out_row = out + static_cast<std::int64_t>(token) * g.hidden;
  const int my_row = lane < k ? (src.pair_rows ? token * k + lane : __ldcg(&r.pair_row[token * k + lane])) : -1;
  const SlotSource slots{my_row, lane < k ? __ldcg(&r.topk_weights[token * k + lane]) : 0.0f, &r, token * k, k,
                         src.pair_rows};
  if (g.hidden % 8 == 0 && src.row_stride % 8 == 0 && src.partial_stride % 8 == 0) {
    const int vectors = g.hidden / 8;
    for (int v0 = lane; v0 - lane < vectors; v0 += 32 * kCombineVectors) {
      float sum[kCombineVectors][8] = {};
      for (int base = 0; base < k; base += kCombineMaxSlots) {
        int row[kCombineMaxSlots];
        float weight[kCombineMaxSlots];
#pragma unroll
        for (int j = 0; j < kCombineMaxSlots; ++j) {
          row[j] = slots.row(base + j);
          const float w = slots.weight(base + j);  // every lane: it shuffles
          weight[j] = row[j] < 0 ? 0.0f : w;
        }
        for (int p = 0; p < src.num_partials; ++p) {
          const __nv_bfloat16* y = src.y + p * src.partial_stride;
          uint4 packed[kCombineVectors][kCombineMaxSlots];
#pragma unroll
          for (int u = 0; u < kCombineVectors; ++u) {
            const int v = v0 + 32 * u;
#pragma unroll
            for (int j = 0; j < kCombineMaxSlots; ++j) {
              packed[u][j] = row[j] >= 0 && v < vectors
                                 ? __ldcg(reinterpret_cast<const uint4*>(y + row[j] * src.row_stride) + v)
                                 : make_uint4(0, 0, 0, 0);
            }
          }
#pragma unroll
          for (int u = 0; u < kCombineVectors; ++u) {
#pragma unroll
            for (int j = 0; j < kCombineMaxSlots; ++j) {
              const __nv_bfloat162* pairs = reinterpret_cast<const __nv_bfloat162*>(&packed[u][j]);
#pragma unroll
              for (int i = 0; i < 4; ++i) {
                const float2 f = __bfloat1622float2(pairs[i]);
                sum[u][2 * i] += weight[j] * f.x;
                sum[u][2 * i + 1] += weight[j] * f.y;
              }
            }
          }
        }
      }
#pragma unroll
      for (int u = 0; u < kCombineVectors; ++u) {
        const int v = v0 + 32 * u;
        if (v >= vectors) continue;
        uint4 result;
        __nv_bfloat162* out_pairs = reinterpret_cast<__nv_bfloat162*>(&result);
#pragma unroll
        for (int i = 0; i < 4; ++i) out_pairs[i] = __floats2bfloat162_rn(sum[u][2 * i], sum[u][2 * i + 1]);
        reinterpret_cast<uint4*>(out_row)[v] = result;
      }
    }
  } else {
    for (int c = lane; c - lane < g.hidden; c += 32) {
      float sum = 0.0f;
      for (int j = 0; j < k; ++j) {
        const int row = slots.row(j);
        const float w = slots.weight(j);
        for (int p = 0; p < src.num_partials; ++p) {
          if (c < g.hidden && row >= 0)
            sum += w * __bfloat162float(src.y[p * src.partial_stride + row * src.row_stride + c]);
        }
      }
      if (c < g.hidden) out_row[c] = __float2bfloat16_rn(sum);
    }
  }
}

}  // namespace moe_kernels
