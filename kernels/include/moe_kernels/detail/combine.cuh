// The weighted combine both paths end with: out[t] = sum_j w[t,j] * sum_p y_p[row(t,j)], in f32,
// slot order j, one warp per token. p runs over the partial sums a token's rows arrive in (one on
// one GPU; the TP ranks of the owning expert group under tensor parallelism). The k rows and
// weights are read once per token into registers, and each lane issues its loads of y for several
// slots and vectors at once (kCombineLoadsInFlight) before summing, so they overlap instead of
// forming a chain of dependent round trips.
#pragma once

#include <cstdint>
#include <cuda_bf16.h>

#include "moe_kernels/combine_source.hpp"
#include "moe_kernels/moe_types.hpp"

namespace moe_kernels {

// 16-byte loads of y a lane has in flight at once (slots times vectors; 8 for k = 1, where a slot
// takes at most 8 vectors): enough to keep HBM busy when the rows of y have left L2 (T >= 4096 on
// Qwen3, bench/notes.md), and to cover L2's latency in few round trips when they have not. With 2
// vectors a slot whatever k, a combine of k = 2 had 4 loads in flight (Mixtral-8x7B: 8 round trips
// a token).
constexpr int kCombineLoadsInFlight = 16;
constexpr int kCombineMaxSlots = 8;  // slots loaded at once; more slots take further passes

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

// The 16-byte path: kSlots slots of a pass (k rounded up to a power of two, at most
// kCombineMaxSlots) times kVectors vectors of each row in flight per lane.
template <int kSlots, int kVectors>
__device__ __forceinline__ void combine_token_vectors(const CombineSource& src, const MoeGeometry& g,
                                                      const SlotSource& slots, __nv_bfloat16* out_row, int lane) {
  const int k = g.top_k;
  const int vectors = g.hidden / 8;
  for (int v0 = lane; v0 - lane < vectors; v0 += 32 * kVectors) {
    float sum[kVectors][8] = {};
    for (int base = 0; base < k; base += kSlots) {
      int row[kSlots];
      // Registers, but in the fused kernels, whose stack already holds route_token_warp's best[],
      // the compiler still stores weight[] of the top-k 3-4 pass there once a token, after its last
      // vector (a dead 16-byte STL: nothing reads it). unpermute_kernel has no stack.
      float weight[kSlots];
#pragma unroll
      for (int j = 0; j < kSlots; ++j) {
        row[j] = slots.row(base + j);
        const float w = slots.weight(base + j);  // every lane: it shuffles
        weight[j] = row[j] < 0 ? 0.0f : w;
      }
      for (int p = 0; p < src.num_partials; ++p) {
        const __nv_bfloat16* y = src.y + p * src.partial_stride;
        uint4 packed[kVectors][kSlots];
#pragma unroll
        for (int u = 0; u < kVectors; ++u) {
          const int v = v0 + 32 * u;
#pragma unroll
          for (int j = 0; j < kSlots; ++j) {
            packed[u][j] = row[j] >= 0 && v < vectors
                               ? __ldcg(reinterpret_cast<const uint4*>(y + row[j] * src.row_stride) + v)
                               : make_uint4(0, 0, 0, 0);
          }
        }
#pragma unroll
        for (int u = 0; u < kVectors; ++u) {
#pragma unroll
          for (int j = 0; j < kSlots; ++j) {
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
    for (int u = 0; u < kVectors; ++u) {
      const int v = v0 + 32 * u;
      if (v >= vectors) continue;
      uint4 result;
      __nv_bfloat162* out_pairs = reinterpret_cast<__nv_bfloat162*>(&result);
#pragma unroll
      for (int i = 0; i < 4; ++i) out_pairs[i] = __floats2bfloat162_rn(sum[u][2 * i], sum[u][2 * i + 1]);
      reinterpret_cast<uint4*>(out_row)[v] = result;
    }
  }
}

__device__ __forceinline__ void combine_token_warp(const CombineSource& src, const MoeGeometry& g,
                                                   const RoutingBuffers& r, __nv_bfloat16* out, int token, int lane) {
  const int k = g.top_k;
  __nv_bfloat16* out_row = out + static_cast<std::int64_t>(token) * g.hidden;
  const int my_row = lane < k ? (src.pair_rows ? token * k + lane : __ldcg(&r.pair_row[token * k + lane])) : -1;
  const SlotSource slots{my_row,       lane < k ? __ldcg(&r.topk_weights[token * k + lane]) : 0.0f, &r, token * k, k,
                         src.pair_rows};
  if (g.hidden % 8 == 0 && src.row_stride % 8 == 0 && src.partial_stride % 8 == 0) {
    // At most 8 vectors a slot: each holds 8 floats of sums and a 16-byte load in registers.
    if (k <= 1) {
      combine_token_vectors<1, kCombineLoadsInFlight / 2>(src, g, slots, out_row, lane);
    } else if (k <= 2) {
      combine_token_vectors<2, kCombineLoadsInFlight / 2>(src, g, slots, out_row, lane);
    } else if (k <= 4) {
      combine_token_vectors<4, kCombineLoadsInFlight / 4>(src, g, slots, out_row, lane);
    } else {
      combine_token_vectors<kCombineMaxSlots, kCombineLoadsInFlight / kCombineMaxSlots>(src, g, slots, out_row, lane);
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
