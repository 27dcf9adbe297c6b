// A case's inputs as every CUDA path hands them to the kernels: the router's parameters, and rows
// of x padded to 16-byte strides (the TMA granule). Shared by the one-GPU and multi-GPU paths.
#pragma once

#include <cstdint>
#include <cuda_bf16.h>

#include "core/case_inputs.hpp"
#include "core/mesh.hpp"
#include "core/moe_shape.hpp"
#include "cuda/device/device_buffer.hpp"
#include "moe_kernels/moe_types.hpp"

namespace moebench::cuda {

moe_kernels::RouterParams device_router(const MoeShape& shape);

// Rows `tokens` of the case's x, each padded with zeros from H to `stride` elements, into `x`.
void upload_padded_rows(const CaseInputs& inputs, Range tokens, std::int64_t hidden, std::int64_t stride,
                        DeviceBuffer<__nv_bfloat16>& x);

}  // namespace moebench::cuda
