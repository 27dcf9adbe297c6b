// Kernels the CUDA backend uses to measure the device's ceilings: random fills and two read
// sweeps, each the way the MoE kernels read (bulk copies into shared memory, 16-byte loads); and
// the cold-L2 flush, a third read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

namespace moe_kernels {

// Fills `count` bf16 with hash-based values in [-1, 1): GEMM peaks are measured on random data.
cudaError_t launch_fill_random_bf16(__nv_bfloat16* data, std::size_t count, std::uint64_t seed, cudaStream_t stream);

// Fills `count` e4m3 codes (the OCP e4m3fn bytes of __nv_fp8_e4m3) with the same hash's values in
// [-1, 1), rounded to nearest: never the NaN codes 0x7f and 0xff, for the FP8 GEMM peak.
cudaError_t launch_fill_random_e4m3(std::uint8_t* data, std::size_t count, std::uint64_t seed, cudaStream_t stream);

// Reads `bytes` (a multiple of 16) with 16-byte streaming loads, several in flight per thread,
// every SM full of threads, and folds them into `sink`.
cudaError_t launch_read_reduce(const void* data, std::size_t bytes, unsigned int* sink, cudaStream_t stream);

// The same read with loads that allocate in L2 at normal priority: the cold-L2 flush, which leaves
// L2 full of clean lines of `data`.
cudaError_t launch_read_into_l2(const void* data, std::size_t bytes, unsigned int* sink, cudaStream_t stream);

// Reads the first bulk_read_bytes(bytes) of `data` (16-byte aligned) with 1D bulk copies (the copy
// engine TMA uses) into shared memory, one CTA per SM keeping kBulkReadStages copies of
// kBulkReadChunk bytes in flight: what the GEMMs' producers do, without the tensor-map tiling.
constexpr std::size_t kBulkReadChunk = 32 * 1024;
constexpr int kBulkReadStages = 6;
std::size_t bulk_read_bytes(std::size_t bytes);
cudaError_t launch_bulk_read(const void* data, std::size_t bytes, cudaStream_t stream);

}  // namespace moe_kernels
