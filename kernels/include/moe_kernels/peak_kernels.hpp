// Kernels the CUDA backend uses to measure the device's ceilings: random fills and a read sweep.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

namespace moe_kernels {

// Fills `count` bf16 with hash-based values in [-1, 1): GEMM peaks are measured on random data.
cudaError_t launch_fill_random_bf16(__nv_bfloat16* data, std::size_t count, std::uint64_t seed, cudaStream_t stream);
// Reads `bytes` (a multiple of 16) with 16-byte loads and folds them into `sink`.
cudaError_t launch_read_reduce(const void* data, std::size_t bytes, unsigned int* sink, cudaStream_t stream);

}  // namespace moe_kernels
