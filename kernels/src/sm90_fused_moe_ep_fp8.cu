// The fused MoE layer under expert and tensor parallelism in block-scaled FP8 (docs/fp8.md): the
// bf16 expert-parallel kernel's exchange (sm90_fused_moe_ep.cu, ep_exchange.cuh) around the FP8
// tile engine's GEMMs (fp8_phases.cuh), one persistent cooperative launch per device and
// iteration:
//   1. route this device's tokens (a warp each); the warp quantizes its token once per 128
//      channels into a packed row (codes, then scales) and stores that row, about half of bf16's
//      bytes, into the windows of the devices owning its experts;
//   2. the counts; cross-GPU barrier; 3. count, scan and scatter the received rows by local expert;
//   4. gate/up GEMM tiles of 128 rows, A gathered from the received packed rows, the activation
//      quantized per row in the epilogue;
//   5. down GEMM tiles over h by TMA, each bf16 y row stored into its source's window; cross-GPU
//      barrier;
//   6. each own token's k rows, summed over the TP partials, weighted into the bf16 output.
// The window's layout is the bf16 kernel's: a received slot has room for a bf16 row, and the
// packed row takes its first row_bytes.
#include "moe_kernels/detail/cooperative_launch.cuh"
#include "moe_kernels/detail/ep_exchange.cuh"
#include "moe_kernels/detail/fp8_phases.cuh"
#include "moe_kernels/detail/fp8_quantize.cuh"
#include "moe_kernels/launch.hpp"

namespace moe_kernels {

namespace {

// The calling warp's token t quantized into own_fp8's row t, every group; the row once the whole
// warp has written it (its lanes' stores are ordered before the copies by __syncwarp).
__device__ __forceinline__ const uint4* quantize_own_row(const FusedMoeEpFp8Args& a, int t, int lane) {
  const MoeGeometry& g = a.geometry;
  const Fp8PackedRows& own = a.own_fp8;
  std::uint8_t* row = own.data + static_cast<std::int64_t>(t) * own.row_bytes;
  const __nv_bfloat16* token = a.tokens + static_cast<std::int64_t>(t) * g.hidden_stride();
  for (int group = 0; group < fp8_groups(g.hidden); ++group)
    fp8::quantize_group_warp(token, g.hidden, group, row, own.codes_bytes,
                             reinterpret_cast<float*>(row + own.codes_bytes) + group, lane);
  __syncwarp();
  return reinterpret_cast<const uint4*>(row);
}

__global__ void __launch_bounds__(Fp8Engine::kThreads, 1)
    fused_moe_ep_fp8_kernel(const __grid_constant__ FusedMoeEpFp8Args a) {
  using E = Fp8Engine;
  extern __shared__ std::uint8_t smem_raw[];
  E::Storage& s = E::storage(smem_raw);
  run_expert_parallel_layer<E>(
      a, s, a.own_fp8.row_bytes / 16, [&](int t, int lane) { return quantize_own_row(a, t, lane); },
      [&](PipelineState& state, int role) { gate_up_phase_fp8<E>(a, s, state, role); },
      [&](PipelineState& state, int role) { down_phase_fp8<E>(a, s, state, role, store_to_sources(a)); });
}

}  // namespace

cudaError_t fused_moe_ep_fp8_max_ctas(int device, int* num_ctas) {
  return max_cooperative_ctas<Fp8Engine>(fused_moe_ep_fp8_kernel, device, num_ctas);
}

cudaError_t launch_fused_moe_ep_fp8(const FusedMoeEpFp8Args& args, int num_ctas, cudaStream_t stream) {
  // The rows a source sends are the rows the window's slots are laid out for.
  const bool rows_agree = args.own_fp8.row_bytes == args.x_fp8.row_bytes &&
                          static_cast<std::uint64_t>(args.x_fp8.row_bytes) == args.window.recv_row_bytes;
  if (args.geometry.block_m != Fp8Engine::kBlockM || !rows_agree) return cudaErrorInvalidValue;
  return launch_cooperative<Fp8Engine>(fused_moe_ep_fp8_kernel, args, num_ctas, stream);
}

}  // namespace moe_kernels
