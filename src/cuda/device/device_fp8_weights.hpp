// One GPU's FP8 expert weights (docs/fp8.md): the e4m3 codes in the layout a path's kernels read,
// the 128 x 128 block scales as the checkpoint stores them, and the TMA maps over the codes. The
// FP8 counterpart of device_weights.hpp, for one GPU (all experts, the whole intermediate width).
#pragma once

#include <cstdint>

#include "core/fp8_weights.hpp"
#include "cuda/device/device_buffer.hpp"
#include "moe_kernels/launch.hpp"

namespace moebench::cuda {

struct DeviceFp8Weights {
  DeviceBuffer<std::uint8_t> w13, w2;
  DeviceBuffer<float> gate_scales, up_scales, down_scales;  // (E, N blocks, K blocks) each

  moe_kernels::Fp8WeightScales scales() const { return {gate_scales.data(), up_scales.data(), down_scales.data()}; }
};

// epmoe: K-major, per expert the gate block (I rows) then the up block, and the down projection
// as H rows of I (the bf16 grouped layout, a byte per value). Fills the B maps, and down_halves:
// the down weights in boxes of 128 rows (the clustered GEMMs' halves of a weight tile).
void upload_grouped_gemm_fp8_weights(const Fp8EpWeights& w, DeviceFp8Weights& d,
                                     moe_kernels::GroupedGemmFp8Maps& gate_up, moe_kernels::GroupedGemmFp8Maps& down,
                                     CUtensorMap& down_halves);
// fused: gate and up interleaved in blocks of 64 rows, I padded to whole 128-column tiles (the
// bf16 fused format with a finer interleave: docs/weight_formats.md).
void upload_fused_fp8_weights(const Fp8EpWeights& w, DeviceFp8Weights& d, CUtensorMap& w13_map, CUtensorMap& w2_map);

}  // namespace moebench::cuda
