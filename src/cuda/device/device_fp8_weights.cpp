// FP8 weights to the GPU: the codes placed like the bf16 values (core/weights.hpp's place_fused),
// with rows padded to 16 bytes, the TMA stride granule.
#include "cuda/device/device_fp8_weights.hpp"

#include <algorithm>
#include <vector>

#include "core/weights.hpp"
#include "cuda/device/cuda_check.hpp"

namespace moebench::cuda {

namespace {

constexpr std::int64_t kRowBytesMultiple = 16;

struct PlacedCodes {
  FusedWeights geometry;  // sizes and strides; its value vectors stay empty
  std::vector<std::uint8_t> w13, w2;
};

PlacedCodes place_codes(const Fp8EpWeights& w, std::int64_t interleave, std::int64_t intermediate_multiple) {
  PlacedCodes p;
  p.geometry = fused_geometry(w.hidden, {0, w.num_experts}, {0, w.intermediate},
                              FusedLayout{interleave, intermediate_multiple, kRowBytesMultiple});
  const FusedWeights& f = p.geometry;
  p.w13.assign(static_cast<std::size_t>(f.num_experts * 2 * f.intermediate_rows * f.hidden_stride), 0);
  p.w2.assign(static_cast<std::size_t>(f.num_experts * f.hidden * f.intermediate_stride), 0);
  place_fused(
      f, p.w13.data(), p.w2.data(),
      [&](std::int64_t e, std::int64_t h, std::int64_t i) { return w.gate.code(e, h, i); },
      [&](std::int64_t e, std::int64_t h, std::int64_t i) { return w.up.code(e, h, i); },
      [&](std::int64_t e, std::int64_t i, std::int64_t h) { return w.down.code(e, i, h); });
  return p;
}

void upload(const Fp8EpWeights& w, const PlacedCodes& p, DeviceFp8Weights& d) {
  d.w13.upload(p.w13.data(), p.w13.size());
  d.w2.upload(p.w2.data(), p.w2.size());
  d.gate_scales.upload(w.gate.scales.data(), w.gate.scales.size());
  d.up_scales.upload(w.up.scales.data(), w.up.scales.size());
  d.down_scales.upload(w.down.scales.data(), w.down.scales.size());
}

}  // namespace

void upload_grouped_gemm_fp8_weights(const Fp8EpWeights& w, DeviceFp8Weights& d,
                                     moe_kernels::GroupedGemmFp8Maps& gate_up, moe_kernels::GroupedGemmFp8Maps& down,
                                     CUtensorMap& down_halves) {
  const PlacedCodes p = place_codes(w, std::max<std::int64_t>(w.intermediate, 1), 1);
  upload(w, p, d);
  const FusedWeights& f = p.geometry;
  const std::uint64_t E = f.num_experts, H = f.hidden, I = f.intermediate;
  const std::uint64_t Hs = f.hidden_stride, Is = f.intermediate_stride;
  // Boxes of 64 rows: a tile's B quarters alternate gate and up (fp8_pipeline.cuh: Fp8TileLoad).
  constexpr std::uint32_t kQuarterRows = moe_kernels::kBlockNB / 4;
  MOE_CUDA_CHECK(moe_kernels::make_e4m3_map_3d(&gate_up.b, d.w13.data(), E, I, H, Hs, 2 * I * Hs, kQuarterRows));
  MOE_CUDA_CHECK(
      moe_kernels::make_e4m3_map_3d(&gate_up.b_up, d.w13.data() + I * Hs, E, I, H, Hs, 2 * I * Hs, kQuarterRows));
  MOE_CUDA_CHECK(moe_kernels::make_e4m3_map_3d(&down.b, d.w2.data(), E, H, I, Is, H * Is, moe_kernels::kBlockNB));
  MOE_CUDA_CHECK(
      moe_kernels::make_e4m3_map_3d(&down_halves, d.w2.data(), E, H, I, Is, H * Is, moe_kernels::kBlockNB / 2));
}

void upload_fused_fp8_weights(const Fp8EpWeights& w, DeviceFp8Weights& d, CUtensorMap& w13_map, CUtensorMap& w2_map) {
  // Gate and up alternate every 64 rows, so each consumer's half of a tile is one gate and one up
  // block of the same 64 columns (fp8_pipeline.cuh); tiles stay 128 intermediate columns.
  const PlacedCodes p = place_codes(w, moe_kernels::kGateUpBlock / 2, moe_kernels::kGateUpBlock);
  upload(w, p, d);
  const FusedWeights& f = p.geometry;
  const std::uint64_t E = f.num_experts, H = f.hidden, I = f.intermediate, rows = 2ull * f.intermediate_rows;
  const std::uint64_t Hs = f.hidden_stride, Is = f.intermediate_stride;
  MOE_CUDA_CHECK(
      moe_kernels::make_e4m3_map_3d(&w13_map, d.w13.data(), E, rows, H, Hs, rows * Hs, moe_kernels::kBlockNB));
  MOE_CUDA_CHECK(moe_kernels::make_e4m3_map_3d(&w2_map, d.w2.data(), E, H, std::max<std::uint64_t>(I, 1), Is, H * Is,
                                               moe_kernels::kBlockNB));
}

}  // namespace moebench::cuda
