// epmoe's permutations in FP8 (docs/fp8.md): each sorted row's token quantized per 128 channels
// into the permuted e4m3 rows and their transposed scales, which the grouped FP8 gate/up GEMM reads
// by TMA. Quantizing each (token, slot) row rather than each token once costs k times the
// quantization's arithmetic, and saves a kernel and a pass over x: the same codes either way.
// Under EP the same rows go out packed (codes, then scales: one contiguous run of bytes a row, as
// the dispatch sends them) and come in packed, and the receiver copies them into the TMA layout.
#include <algorithm>

#include "moe_kernels/detail/fp8_quantize.cuh"
#include "moe_kernels/detail/fp8_row_copies.cuh"
#include "moe_kernels/detail/ptx.cuh"
#include "moe_kernels/detail/stream_launch.cuh"
#include "moe_kernels/launch.hpp"

namespace moe_kernels {

namespace {

constexpr int kWarpsPerBlock = 8;

// Where group `group` of sorted row `row` goes: its codes (a row's first, with codes_bytes of room)
// and its scale; in the TMA layout (scales transposed) or packed (scales after the row's codes).
struct GroupDestination {
  std::uint8_t* codes;
  int codes_bytes;
  float* scale;
};
__device__ __forceinline__ GroupDestination group_destination(const Fp8Rows& rows, int row, int group) {
  return {rows.codes + static_cast<std::int64_t>(row) * rows.codes_stride, rows.codes_stride,
          rows.scales + static_cast<std::int64_t>(group) * rows.scale_stride + row};
}
__device__ __forceinline__ GroupDestination group_destination(const Fp8PackedRows& rows, int row, int group) {
  std::uint8_t* codes = rows.data + static_cast<std::int64_t>(row) * rows.row_bytes;
  return {codes, rows.codes_bytes, reinterpret_cast<float*>(codes + rows.codes_bytes) + group};
}

// One warp per (sorted row, group). Rows: Fp8Rows or Fp8PackedRows.
template <typename Rows>
__global__ void __launch_bounds__(kWarpsPerBlock * 32)
    permute_quantize_rows_kernel(const __nv_bfloat16* x, MoeGeometry g, RoutingBuffers r, Rows out) {
  ptx::wait_prior_grids();
  ptx::launch_dependent_grids();
  const int groups = fp8_groups(g.hidden), lane = threadIdx.x % 32;
  const int items = r.expert_offsets[g.local_experts] * groups;
  const int warps = gridDim.x * kWarpsPerBlock;
  for (int item = blockIdx.x * kWarpsPerBlock + threadIdx.x / 32; item < items; item += warps) {
    const int row = item / groups, group = item % groups;
    const __nv_bfloat16* token = x + static_cast<std::int64_t>(r.sorted_token[row]) * g.hidden_stride();
    const GroupDestination to = group_destination(out, row, group);
    fp8::quantize_group_warp(token, g.hidden, group, to.codes, to.codes_bytes, to.scale, lane);
  }
}

__global__ void __launch_bounds__(kWarpsPerBlock * 32)
    permute_packed_rows_kernel(Fp8PackedRows packed, MoeGeometry g, RoutingBuffers r, Fp8Rows out) {
  copy_sorted_rows_phase(packed, g, r, out);
}

// Blocks of kWarpsPerBlock warps for `items` warp items, within the grid's limit (the kernels stride).
int warp_item_blocks(std::int64_t items) {
  return static_cast<int>(std::clamp<std::int64_t>((items + kWarpsPerBlock - 1) / kWarpsPerBlock, 1, 65535));
}

}  // namespace

cudaError_t launch_permute_quantize_packed_rows(const __nv_bfloat16* x, const MoeGeometry& g, const RoutingBuffers& r,
                                                const Fp8PackedRows& permuted, cudaStream_t stream) {
  const std::int64_t items = static_cast<std::int64_t>(g.max_pairs()) * fp8_groups(g.hidden);
  return launch_in_order(StreamOrder::kSerial, permute_quantize_rows_kernel<Fp8PackedRows>,
                         dim3(warp_item_blocks(items)), dim3(kWarpsPerBlock * 32), 0, stream, x, g, r, permuted);
}

cudaError_t launch_permute_packed_rows(const Fp8PackedRows& packed, const MoeGeometry& g, const RoutingBuffers& r,
                                       const Fp8Rows& permuted, cudaStream_t stream) {
  return launch_in_order(StreamOrder::kSerial, permute_packed_rows_kernel, dim3(warp_item_blocks(g.max_pairs())),
                         dim3(kWarpsPerBlock * 32), 0, stream, packed, g, r, permuted);
}

cudaError_t launch_permute_quantize_rows(const __nv_bfloat16* x, const MoeGeometry& g, const RoutingBuffers& r,
                                         const Fp8Rows& permuted, cudaStream_t stream, StreamOrder order) {
  const std::int64_t items = static_cast<std::int64_t>(g.max_pairs()) * fp8_groups(g.hidden);
  return launch_in_order(order, permute_quantize_rows_kernel<Fp8Rows>, dim3(warp_item_blocks(items)),
                         dim3(kWarpsPerBlock * 32), 0, stream, x, g, r, permuted);
}

}  // namespace moe_kernels
