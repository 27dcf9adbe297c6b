// Rows of x in e4m3 moved between layouts, as grid-stride device functions a kernel or a phase of
// one calls: quantized into packed rows (codes then scales, one row a token: what a gather reads and
// what epmoe's dispatch sends), and packed rows copied into expert order as TMA reads them (codes
// rows, transposed scales). The fused FP8 kernel runs them as phases, epmoe as kernels of their own.
#pragma once

#include "moe_kernels/detail/fp8_quantize.cuh"
#include "moe_kernels/detail/ptx.cuh"
#include "moe_kernels/moe_types.hpp"

namespace moe_kernels {

// Every token's x quantized into packed rows, a warp per (token, group), spread over the grid.
__device__ __forceinline__ void quantize_tokens_phase(const __nv_bfloat16* x, const MoeGeometry& g,
                                                      const Fp8PackedRows& out) {
  const int groups = fp8_groups(g.hidden), lane = threadIdx.x % 32;
  const int warps = gridDim.x * (blockDim.x / 32);
  const int items = g.num_tokens * groups;
  for (int item = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32; item < items; item += warps) {
    const int token = item / groups, group = item % groups;
    std::uint8_t* row = out.data + static_cast<std::int64_t>(token) * out.row_bytes;
    fp8::quantize_group_warp(x + static_cast<std::int64_t>(token) * g.hidden_stride(), g.hidden, group, row,
                             out.codes_bytes, reinterpret_cast<float*>(row + out.codes_bytes) + group, lane);
  }
}

// Every sorted row's packed x row copied into `out` (codes rows and transposed scales, as TMA reads
// them): a warp a row, 16 bytes a lane a load with kCopyLoads loads of each lane in flight before
// its stores, the scales a lane a group. The writes go through the generic proxy: a
// fence.proxy.async and a grid barrier must come before the GEMM's TMA loads read them.
constexpr int kCopyLoads = 4;

__device__ __forceinline__ void copy_sorted_rows_phase(const Fp8PackedRows& x, const MoeGeometry& g,
                                                       const RoutingBuffers& r, const Fp8Rows& out) {
  const int lane = threadIdx.x % 32, groups = fp8_groups(g.hidden), chunks = x.codes_bytes / 16;
  const int warps = gridDim.x * (blockDim.x / 32);
  const int rows = __ldcg(&r.expert_offsets[g.local_experts]);
  for (int row = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32; row < rows; row += warps) {
    const std::uint8_t* src = x.data + static_cast<std::int64_t>(__ldcg(&r.sorted_token[row])) * x.row_bytes;
    std::uint8_t* dst = out.codes + static_cast<std::int64_t>(row) * out.codes_stride;
    for (int first = lane; first < chunks; first += 32 * kCopyLoads) {
      uint4 data[kCopyLoads];
#pragma unroll
      for (int i = 0; i < kCopyLoads; ++i)
        if (first + 32 * i < chunks) data[i] = __ldcg(reinterpret_cast<const uint4*>(src) + first + 32 * i);
#pragma unroll
      for (int i = 0; i < kCopyLoads; ++i)
        if (first + 32 * i < chunks) reinterpret_cast<uint4*>(dst)[first + 32 * i] = data[i];
    }
    const float* scales = reinterpret_cast<const float*>(src + x.codes_bytes);
    for (int group = lane; group < groups; group += 32)
      out.scales[static_cast<std::int64_t>(group) * out.scale_stride + row] = __ldcg(scales + group);
  }
  ptx::fence_proxy_async_global();
}

}  // namespace moe_kernels
