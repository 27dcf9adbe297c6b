// One GPU's weight shard (its experts, its slice of the intermediate dimension) in the layout a
// path's kernels read, uploaded, with the TMA maps over it. Shared by the one-GPU and the
// multi-GPU paths.
#pragma once

#include <cuda_bf16.h>

#include "core/mesh.hpp"
#include "core/weights.hpp"
#include "cuda/device/device_buffer.hpp"
#include "moe_kernels/launch.hpp"

namespace moebench::cuda {

struct DeviceWeights {
  DeviceBuffer<__nv_bfloat16> w13, w2;
};

// epmoe: K-major, as a grouped-GEMM library reads them: per expert the gate block (the slice's
// I rows) then the up block of H, and the down projection as H rows of I. Fills the B maps, and
// down_halves where given: the down weights in boxes of 128 rows (the clustered GEMMs' halves).
void upload_grouped_gemm_weights(const EpWeights& w, Range experts, Range inter, DeviceWeights& d,
                                 moe_kernels::GroupedGemmMaps& gate_up, moe_kernels::GroupedGemmMaps& down,
                                 CUtensorMap* down_halves = nullptr);
// fused: gate and up interleaved in blocks of kGateUpBlock columns (docs/weight_formats.md).
void upload_fused_weights(const EpWeights& w, Range experts, Range inter, DeviceWeights& d, CUtensorMap& w13_map,
                          CUtensorMap& w2_map);

}  // namespace moebench::cuda
