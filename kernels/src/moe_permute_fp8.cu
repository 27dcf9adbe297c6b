// epmoe's permutation in FP8 (docs/fp8.md): each sorted row's token quantized per 128 channels
// into the permuted e4m3 rows and their transposed scales, which the grouped FP8 gate/up GEMM reads
// by TMA. Quantizing each (token, slot) row rather than each token once costs k times the
// quantization's arithmetic, and saves a kernel and a pass over x: the same codes either way.
#include "moe_kernels/detail/fp8_quantize.cuh"
#include "moe_kernels/detail/ptx.cuh"
#include "moe_kernels/detail/stream_launch.cuh"
#include "moe_kernels/launch.hpp"

namespace moe_kernels {

namespace {

constexpr int kWarpsPerBlock = 8;

// One warp per (sorted row, group).
__global__ void __launch_bounds__(kWarpsPerBlock * 32)
    permute_quantize_rows_kernel(const __nv_bfloat16* x, MoeGeometry g, RoutingBuffers r, Fp8Rows out) {
  ptx::wait_prior_grids();
  ptx::launch_dependent_grids();
  const int groups = fp8_groups(g.hidden), lane = threadIdx.x % 32;
  const int items = r.expert_offsets[g.local_experts] * groups;
  const int warps = gridDim.x * kWarpsPerBlock;
  for (int item = blockIdx.x * kWarpsPerBlock + threadIdx.x / 32; item < items; item += warps) {
    const int row = item / groups, group = item % groups;
    const __nv_bfloat16* token = x + static_cast<std::int64_t>(r.sorted_token[row]) * g.hidden_stride();
    fp8::quantize_group_warp(token, g.hidden, group, out.codes + static_cast<std::int64_t>(row) * out.codes_stride,
                             out.codes_stride, out.scales + static_cast<std::int64_t>(group) * out.scale_stride + row,
                             lane);
  }
}

}  // namespace

cudaError_t launch_permute_quantize_rows(const __nv_bfloat16* x, const MoeGeometry& g, const RoutingBuffers& r,
                                         const Fp8Rows& permuted, cudaStream_t stream, StreamOrder order) {
  const std::int64_t items = static_cast<std::int64_t>(g.max_pairs()) * fp8_groups(g.hidden);
  const int blocks = static_cast<int>(
      std::min<std::int64_t>(std::max<std::int64_t>((items + kWarpsPerBlock - 1) / kWarpsPerBlock, 1), 65535));
  return launch_in_order(order, permute_quantize_rows_kernel, dim3(blocks), dim3(kWarpsPerBlock * 32), 0, stream, x, g,
                         r, permuted);
}

}  // namespace moe_kernels
