// Weight shards to the GPU.
#include "cuda/device/device_weights.hpp"

#include <algorithm>

#include "cuda/device/cuda_check.hpp"

namespace moebench::cuda {

namespace {

void upload(const FusedWeights& f, DeviceWeights& d) {
  d.w13.upload(reinterpret_cast<const __nv_bfloat16*>(f.w13.data()), f.w13.size());
  d.w2.upload(reinterpret_cast<const __nv_bfloat16*>(f.w2.data()), f.w2.size());
}

}  // namespace

void upload_grouped_gemm_weights(const EpWeights& w, Range experts, Range inter, DeviceWeights& d,
                                 moe_kernels::GroupedGemmMaps& gate_up, moe_kernels::GroupedGemmMaps& down,
                                 CUtensorMap* down_halves) {
  const FusedWeights f = to_fused_format(w, experts, inter, FusedLayout{std::max<std::int64_t>(inter.size(), 1), 1, 8});
  upload(f, d);
  const std::uint64_t E = f.num_experts, H = f.hidden, I = f.intermediate;
  const std::uint64_t Hs = f.hidden_stride, Is = f.intermediate_stride;
  MOE_CUDA_CHECK(
      moe_kernels::make_tensor_map_3d(&gate_up.b, d.w13.data(), E, I, H, Hs, 2 * I * Hs, moe_kernels::kGateUpBlock));
  MOE_CUDA_CHECK(moe_kernels::make_tensor_map_3d(&gate_up.b_up, d.w13.data() + I * Hs, E, I, H, Hs, 2 * I * Hs,
                                                 moe_kernels::kGateUpBlock));
  MOE_CUDA_CHECK(moe_kernels::make_tensor_map_3d(&down.b, d.w2.data(), E, H, I, Is, H * Is, moe_kernels::kBlockNB));
  if (down_halves != nullptr) {
    MOE_CUDA_CHECK(
        moe_kernels::make_tensor_map_3d(down_halves, d.w2.data(), E, H, I, Is, H * Is, moe_kernels::kBlockNB / 2));
  }
}

void upload_fused_weights(const EpWeights& w, Range experts, Range inter, DeviceWeights& d, CUtensorMap& w13_map,
                          CUtensorMap& w2_map) {
  const FusedWeights f =
      to_fused_format(w, experts, inter, FusedLayout{moe_kernels::kGateUpBlock, moe_kernels::kGateUpBlock, 8});
  upload(f, d);
  const std::uint64_t E = f.num_experts, H = f.hidden, I = f.intermediate, rows = 2ull * f.intermediate_rows;
  const std::uint64_t Hs = f.hidden_stride, Is = f.intermediate_stride;
  MOE_CUDA_CHECK(
      moe_kernels::make_tensor_map_3d(&w13_map, d.w13.data(), E, rows, H, Hs, rows * Hs, moe_kernels::kBlockNB));
  MOE_CUDA_CHECK(moe_kernels::make_tensor_map_3d(&w2_map, d.w2.data(), E, H, std::max<std::uint64_t>(I, 1), Is, H * Is,
                                                 moe_kernels::kBlockNB));
}

}  // namespace moebench::cuda
