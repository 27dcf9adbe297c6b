// epmoe's routing and permutation kernels: route + count, scan, scatter (or, for a few tokens, the
// three in one CTA), permute, unpermute. Each starts by waiting for the previous kernel of its
// stream and then lets the next one start (StreamOrder::kOverlapPrologue; both no-ops under
// kSerial): the next kernel's launch and prologue overlap this one's work.
#include "moe_kernels/detail/combine.cuh"
#include "moe_kernels/detail/decode_routing.cuh"
#include "moe_kernels/detail/moe_schedule.cuh"
#include "moe_kernels/detail/ptx.cuh"
#include "moe_kernels/detail/routing.cuh"
#include "moe_kernels/detail/stream_launch.cuh"
#include "moe_kernels/heuristics.hpp"
#include "moe_kernels/launch.hpp"

namespace moe_kernels {

namespace {

constexpr int kRouteWarps = 8;

// One warp per token; scores live in this warp's slice of dynamic shared memory.
// ptxas: 32 registers, a 16-byte stack frame, no spills. The frame is route_token_warp's best[]
// (routing.cuh), which grouped routers alone use (num_groups > 1: DeepSeek-V3): the lanes below
// num_groups load it a few times and may store it once per expert of their group, every token,
// one L1 round trip after another. Against a copy keeping it in registers (a switch over
// group_score_top, one unrolled loop per count) that costs DeepSeek-V3 on H200 2.5-2.8 us at
// T <= 4096 (9-22% of this kernel), 10 us at 16384 and 29 us at 65536 (12-14%). Left for a
// change of its own, which the fused kernels' route phases (the same code) would share.
__global__ void __launch_bounds__(kRouteWarps * 32)
    route_and_count_kernel(const float* logits, MoeGeometry g, RouterParams p, RoutingBuffers r) {
  extern __shared__ float route_smem[];
  ptx::wait_prior_grids();
  ptx::launch_dependent_grids();
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  float* scores = route_smem + warp * (p.num_experts + p.num_groups);
  float* group_scores = scores + p.num_experts;
  for (int t = blockIdx.x * kRouteWarps + warp; t < g.num_tokens; t += gridDim.x * kRouteWarps) {
    std::int32_t* ids = r.topk_ids + static_cast<std::int64_t>(t) * g.top_k;
    float* weights = r.topk_weights + static_cast<std::int64_t>(t) * g.top_k;
    route_token_warp(logits + static_cast<std::int64_t>(t) * p.num_experts, p, scores, group_scores, ids, weights,
                     lane);
    for (int j = lane; j < g.top_k; j += 32) {
      const int expert = ids[j] - g.expert_begin;
      if (expert >= 0 && expert < g.local_experts) atomicAdd(&r.expert_counts[expert], 1);
    }
    __syncwarp();
  }
}

__global__ void scan_experts_kernel(MoeGeometry g, RoutingBuffers r) {
  extern __shared__ int scratch[];  // scan_scratch_ints(blockDim.x, local experts)
  ptx::wait_prior_grids();
  ptx::launch_dependent_grids();
  scan_expert_counts(g, r, scratch);
}

__global__ void scatter_pairs_kernel(MoeGeometry g, RoutingBuffers r) {
  ptx::wait_prior_grids();
  ptx::launch_dependent_grids();
  const int pairs = g.num_tokens * g.top_k;
  for (int p = blockIdx.x * blockDim.x + threadIdx.x; p < pairs; p += gridDim.x * blockDim.x) scatter_pair(g, r, p);
}

// route_tokens_in_cta's plan into epmoe's routing buffers: what scan_experts (the offsets) and
// scatter_pairs (the rows) would have written.
struct GlobalRoutePlan {
  RoutingBuffers r;
  int top_k;
  __device__ __forceinline__ void expert_offset(int expert, int row) const { r.expert_offsets[expert] = row; }
  __device__ __forceinline__ void pair(int pair, int expert, float weight, int row) const {
    r.topk_ids[pair] = expert;
    r.topk_weights[pair] = weight;
    r.pair_row[pair] = row;
    if (row < 0) return;
    r.sorted_token[row] = pair / top_k;
    r.sorted_weight[row] = weight;
  }
};

// The routing plan (DecodeRoutes) first, then the routing's scratch.
constexpr int kSortInCtaRoutesBytes = (static_cast<int>(sizeof(DecodeRoutes)) + 15) / 16 * 16;

// One CTA of kDecodeThreads: every token routed by a warp, sorted by expert, then by token.
__global__ void __launch_bounds__(kDecodeThreads, 1)
    route_and_sort_in_cta_kernel(const float* logits, MoeGeometry g, RouterParams p, RoutingBuffers r) {
  extern __shared__ __align__(16) std::uint8_t sort_smem[];
  ptx::wait_prior_grids();  // the previous iteration's unpermute reads the pairs' rows and weights
  ptx::launch_dependent_grids();
  DecodeRoutes& routes = *reinterpret_cast<DecodeRoutes*>(sort_smem);
  route_tokens_in_cta(
      logits, g, p, sort_smem + kSortInCtaRoutesBytes, routes, [] {}, GlobalRoutePlan{r, g.top_k});
}

// One warp per sorted row, 16-byte copies.
__global__ void permute_rows_kernel(const __nv_bfloat16* x, MoeGeometry g, RoutingBuffers r, __nv_bfloat16* out) {
  ptx::wait_prior_grids();
  ptx::launch_dependent_grids();
  const int warps = gridDim.x * (blockDim.x / 32);
  const int rows = r.expert_offsets[g.local_experts];
  const int vectors = g.hidden_stride() / 8;
  for (int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32; row < rows; row += warps) {
    const uint4* src =
        reinterpret_cast<const uint4*>(x + static_cast<std::int64_t>(r.sorted_token[row]) * g.hidden_stride());
    uint4* dst = reinterpret_cast<uint4*>(out + static_cast<std::int64_t>(row) * g.hidden_stride());
    for (int v = threadIdx.x % 32; v < vectors; v += 32) dst[v] = src[v];
  }
}

// One warp per token.
__global__ void unpermute_kernel(const CombineSource src, MoeGeometry g, RoutingBuffers r, __nv_bfloat16* out) {
  ptx::wait_prior_grids();
  ptx::launch_dependent_grids();
  const int warps = gridDim.x * (blockDim.x / 32);
  for (int t = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32; t < g.num_tokens; t += warps)
    combine_token_warp(src, g, r, out, t, threadIdx.x % 32);
}

int grid_for(std::int64_t items, int per_block) {
  return static_cast<int>(
      std::min<std::int64_t>(std::max<std::int64_t>((items + per_block - 1) / per_block, 1), 65535));
}

}  // namespace

cudaError_t launch_route_and_count(const float* logits, const MoeGeometry& g, const RouterParams& p,
                                   const RoutingBuffers& r, cudaStream_t stream, StreamOrder order) {
  const std::size_t smem = static_cast<std::size_t>(kRouteWarps) * (p.num_experts + p.num_groups) * sizeof(float);
  if (smem > 48 * 1024) {
    const cudaError_t status = cudaFuncSetAttribute(route_and_count_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                    static_cast<int>(smem));
    if (status != cudaSuccess) return status;
  }
  if (g.num_tokens == 0) return cudaSuccess;
  return launch_in_order(order, route_and_count_kernel, dim3(grid_for(g.num_tokens, kRouteWarps)),
                         dim3(kRouteWarps * 32), smem, stream, logits, g, p, r);
}

cudaError_t launch_scan_experts(const MoeGeometry& g, const RoutingBuffers& r, cudaStream_t stream, StreamOrder order) {
  return launch_in_order(order, scan_experts_kernel, dim3(1), dim3(1024),
                         scan_scratch_ints(1024, g.local_experts) * sizeof(int), stream, g, r);
}

cudaError_t launch_scatter_pairs(const MoeGeometry& g, const RoutingBuffers& r, cudaStream_t stream,
                                 StreamOrder order) {
  return launch_in_order(order, scatter_pairs_kernel, dim3(grid_for(g.max_pairs(), 256)), dim3(256), 0, stream, g, r);
}

cudaError_t launch_route_and_sort_in_cta(const float* logits, const MoeGeometry& g, const RouterParams& p,
                                         const RoutingBuffers& r, cudaStream_t stream, StreamOrder order) {
  if (!route_in_cta_fits(g, p)) return cudaErrorInvalidValue;
  const std::int64_t smem =
      kSortInCtaRoutesBytes + decode_routing_scratch_bytes(g.num_tokens, g.top_k, p.num_experts, p.num_groups);
  const cudaError_t status = cudaFuncSetAttribute(route_and_sort_in_cta_kernel,
                                                  cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem));
  if (status != cudaSuccess) return status;
  return launch_in_order(order, route_and_sort_in_cta_kernel, dim3(1), dim3(kDecodeThreads),
                         static_cast<std::size_t>(smem), stream, logits, g, p, r);
}

cudaError_t launch_permute_rows(const __nv_bfloat16* x, const MoeGeometry& g, const RoutingBuffers& r,
                                __nv_bfloat16* permuted_x, cudaStream_t stream, StreamOrder order) {
  return launch_in_order(order, permute_rows_kernel, dim3(grid_for(g.max_pairs(), 8)), dim3(256), 0, stream, x, g, r,
                         permuted_x);
}

cudaError_t launch_unpermute(const CombineSource& src, const MoeGeometry& g, const RoutingBuffers& r,
                             __nv_bfloat16* out, cudaStream_t stream, StreamOrder order) {
  if (g.num_tokens == 0) return cudaSuccess;
  return launch_in_order(order, unpermute_kernel, dim3(grid_for(g.num_tokens, 8)), dim3(256), 0, stream, src, g, r,
                         out);
}

}  // namespace moe_kernels
