// Bandwidth and fill kernels for the peak measurements.
#include "moe_kernels/peak_kernels.hpp"

namespace moe_kernels {

namespace {

__global__ void fill_random_bf16_kernel(__nv_bfloat16* data, std::size_t count, std::uint64_t seed) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    std::uint64_t z = seed + i * 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    data[i] = __float2bfloat16(static_cast<float>(z >> 40) * (2.0f / 16777216.0f) - 1.0f);
  }
}

__global__ void read_reduce_kernel(const uint4* data, std::size_t vectors, unsigned int* sink) {
  unsigned int folded = 0;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < vectors;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const uint4 v = __ldcs(data + i);
    folded ^= v.x ^ v.y ^ v.z ^ v.w;
  }
  // The store keeps the loads alive; almost never taken.
  if (folded == 0x9e3779b9u) sink[0] = folded;
}

}  // namespace

cudaError_t launch_fill_random_bf16(__nv_bfloat16* data, std::size_t count, std::uint64_t seed, cudaStream_t stream) {
  fill_random_bf16_kernel<<<1024, 256, 0, stream>>>(data, count, seed);
  return cudaGetLastError();
}

cudaError_t launch_read_reduce(const void* data, std::size_t bytes, unsigned int* sink, cudaStream_t stream) {
  int device = 0, sms = 0;
  cudaGetDevice(&device);
  cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  read_reduce_kernel<<<sms * 8, 512, 0, stream>>>(static_cast<const uint4*>(data), bytes / 16, sink);
  return cudaGetLastError();
}

}  // namespace moe_kernels
