// epmoe's expert-parallel bookkeeping on the receiving device: which expert each received row is
// for, from the expert offsets every source shared before the dispatch.
#include <algorithm>
#include <cstdint>

#include "moe_kernels/launch.hpp"

namespace moe_kernels {

namespace {

constexpr int kMaxSources = 1024;  // the block's shared prefix; checked by the launcher

// Every block first rebuilds the prefix of rows received per source in shared memory (a few
// hundred integers at most), then labels its rows.
__global__ void label_received_rows_kernel(const std::int32_t* all_offsets, int num_sources, MoeGeometry g,
                                           RoutingBuffers r) {
  __shared__ int source_begin[kMaxSources + 1];
  const int stride = g.num_experts + 1;
  const int first = g.expert_begin, last = g.expert_begin + g.local_experts;
  if (threadIdx.x == 0) {
    int at = 0;
    for (int s = 0; s < num_sources; ++s) {
      source_begin[s] = at;
      at += all_offsets[s * stride + last] - all_offsets[s * stride + first];
    }
    source_begin[num_sources] = at;
  }
  __syncthreads();
  for (int row = blockIdx.x * blockDim.x + threadIdx.x; row < g.num_tokens; row += gridDim.x * blockDim.x) {
    int lo = 0, hi = num_sources - 1;  // last source whose first row <= row
    while (lo < hi) {
      const int mid = (lo + hi + 1) / 2;
      if (source_begin[mid] <= row) lo = mid;
      else hi = mid - 1;
    }
    const std::int32_t* offsets = all_offsets + lo * stride;
    const int at = offsets[first] + (row - source_begin[lo]);
    int e_lo = first, e_hi = last - 1;  // last local expert whose first row <= at
    while (e_lo < e_hi) {
      const int mid = (e_lo + e_hi + 1) / 2;
      if (offsets[mid] <= at) e_lo = mid;
      else e_hi = mid - 1;
    }
    r.topk_ids[row] = e_lo;
    r.topk_weights[row] = 1.0f;
    atomicAdd(&r.expert_counts[e_lo - first], 1);
  }
}

}  // namespace

cudaError_t launch_label_received_rows(const std::int32_t* all_offsets, int num_sources, const MoeGeometry& g,
                                       const RoutingBuffers& r, cudaStream_t stream) {
  if (num_sources < 1 || num_sources > kMaxSources || g.top_k != 1) return cudaErrorInvalidValue;
  if (g.num_tokens == 0) return cudaSuccess;
  const int blocks = std::min((g.num_tokens + 255) / 256, 1024);
  label_received_rows_kernel<<<blocks, 256, 0, stream>>>(all_offsets, num_sources, g, r);
  return cudaGetLastError();
}

}  // namespace moe_kernels
