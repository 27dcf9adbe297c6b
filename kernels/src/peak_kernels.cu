// Bandwidth and fill kernels for the peak measurements.
#include "moe_kernels/peak_kernels.hpp"

#include <cuda_fp8.h>

#include "moe_kernels/detail/ptx.cuh"

namespace moe_kernels {

namespace {

// Element i of seed's sequence, uniform in [-1, 1) (splitmix64's finaliser, its top 24 bits).
__device__ __forceinline__ float random_unit(std::uint64_t seed, std::size_t i) {
  std::uint64_t z = seed + i * 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<float>(z >> 40) * (2.0f / 16777216.0f) - 1.0f;
}

__global__ void fill_random_bf16_kernel(__nv_bfloat16* data, std::size_t count, std::uint64_t seed) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    data[i] = __float2bfloat16(random_unit(seed, i));
  }
}

// Saturating conversion of finite values: a NaN code only ever comes from a NaN.
__global__ void fill_random_e4m3_kernel(std::uint8_t* data, std::size_t count, std::uint64_t seed) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    data[i] = __nv_cvt_float_to_fp8(random_unit(seed, i), __NV_SATFINITE, __NV_E4M3);
  }
}

constexpr int kReadThreads = 512;
// 16-byte loads in flight per thread: 128 KiB per SM of 2048 threads, as many as 32 registers hold.
constexpr int kReadUnroll = 4;

template <bool kStreaming>
__device__ __forceinline__ uint4 load_vector(const uint4* p) {
  if constexpr (kStreaming) {
    return __ldcs(p);
  } else {
    return __ldcg(p);
  }
}

// Each thread issues kReadUnroll loads, a grid stride apart, before it folds any of them.
// kStreaming: evict-first loads (a bandwidth sweep); else loads that stay in L2 (a flush).
template <bool kStreaming>
__global__ void __launch_bounds__(kReadThreads)
    read_reduce_kernel(const uint4* data, std::size_t vectors, unsigned int* sink) {
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
  unsigned int folded = 0;
  for (; i + (kReadUnroll - 1) * stride < vectors; i += kReadUnroll * stride) {
    uint4 v[kReadUnroll];
#pragma unroll
    for (int u = 0; u < kReadUnroll; ++u) v[u] = load_vector<kStreaming>(data + i + u * stride);
#pragma unroll
    for (int u = 0; u < kReadUnroll; ++u) folded ^= v[u].x ^ v[u].y ^ v[u].z ^ v[u].w;
  }
  for (; i < vectors; i += stride) {
    const uint4 v = load_vector<kStreaming>(data + i);
    folded ^= v.x ^ v.y ^ v.z ^ v.w;
  }
  // The store keeps the loads alive; almost never taken.
  if (folded == 0x9e3779b9u) sink[0] = folded;
}

// One thread per CTA drives a ring of kBulkReadStages chunks: CTA b reads chunks b, b + grid,
// b + 2 grid, ..., each refilled as soon as its copy has landed. Nothing reads the shared memory:
// the copies are the measurement.
__global__ void __launch_bounds__(32) bulk_read_kernel(const std::uint8_t* data, std::size_t chunks) {
  extern __shared__ __align__(128) std::uint8_t stages[];
  __shared__ std::uint64_t landed[kBulkReadStages];
  if (threadIdx.x != 0) return;
  for (int s = 0; s < kBulkReadStages; ++s) ptx::mbarrier_init(&landed[s], 1);
  ptx::fence_barrier_init();
  auto issue = [&](int stage, std::size_t chunk) {
    ptx::mbarrier_arrive_expect_tx(&landed[stage], kBulkReadChunk);
    ptx::bulk_load(stages + stage * kBulkReadChunk, data + chunk * kBulkReadChunk, kBulkReadChunk, &landed[stage]);
  };
  const std::size_t first = blockIdx.x, step = gridDim.x;
  for (int s = 0; s < kBulkReadStages && first + s * step < chunks; ++s) issue(s, first + s * step);
  std::size_t round = 0;
  for (std::size_t chunk = first; chunk < chunks; chunk += step, ++round) {
    const int stage = static_cast<int>(round % kBulkReadStages);
    ptx::mbarrier_wait(&landed[stage], static_cast<std::uint32_t>(round / kBulkReadStages) & 1);
    const std::size_t refill = chunk + kBulkReadStages * step;
    if (refill < chunks) issue(stage, refill);
  }
}

int sm_count() {
  int device = 0, sms = 0;
  cudaGetDevice(&device);
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  return sms;
}

}  // namespace

cudaError_t launch_fill_random_bf16(__nv_bfloat16* data, std::size_t count, std::uint64_t seed, cudaStream_t stream) {
  fill_random_bf16_kernel<<<1024, 256, 0, stream>>>(data, count, seed);
  return cudaGetLastError();
}

cudaError_t launch_fill_random_e4m3(std::uint8_t* data, std::size_t count, std::uint64_t seed, cudaStream_t stream) {
  fill_random_e4m3_kernel<<<1024, 256, 0, stream>>>(data, count, seed);
  return cudaGetLastError();
}

// Four blocks of 512 threads per SM: 2048 threads, every one resident at once.
cudaError_t launch_read_reduce(const void* data, std::size_t bytes, unsigned int* sink, cudaStream_t stream) {
  read_reduce_kernel<true>
      <<<sm_count() * 4, kReadThreads, 0, stream>>>(static_cast<const uint4*>(data), bytes / 16, sink);
  return cudaGetLastError();
}

cudaError_t launch_read_into_l2(const void* data, std::size_t bytes, unsigned int* sink, cudaStream_t stream) {
  read_reduce_kernel<false>
      <<<sm_count() * 4, kReadThreads, 0, stream>>>(static_cast<const uint4*>(data), bytes / 16, sink);
  return cudaGetLastError();
}

// Whole chunks, and as many for every CTA, so that no SM reads a longer share than the others.
std::size_t bulk_read_bytes(std::size_t bytes) {
  const std::size_t round = kBulkReadChunk * static_cast<std::size_t>(sm_count());
  return bytes / round * round;
}

cudaError_t launch_bulk_read(const void* data, std::size_t bytes, cudaStream_t stream) {
  constexpr int kSharedBytes = kBulkReadStages * static_cast<int>(kBulkReadChunk);
  const cudaError_t status =
      cudaFuncSetAttribute(bulk_read_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSharedBytes);
  if (status != cudaSuccess) return status;
  bulk_read_kernel<<<sm_count(), 32, kSharedBytes, stream>>>(static_cast<const std::uint8_t*>(data),
                                                             bulk_read_bytes(bytes) / kBulkReadChunk);
  return cudaGetLastError();
}

}  // namespace moe_kernels
