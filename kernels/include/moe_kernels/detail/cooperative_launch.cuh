// Host side of the persistent cooperative kernels (the fused kernels): the dynamic shared memory
// of the tile engine, the cooperative launch whose grid barriers need every CTA resident, and the
// largest such grid.
#pragma once

#include <cuda_runtime.h>

#include "moe_kernels/detail/tile_pipeline.cuh"

namespace moe_kernels {

// E: the kernel's Engine, or any type naming the block (kThreads) and dynamic shared memory
// (kSmemBytes) it launches with (the decode kernel's DecodeLaunchShape).
template <typename E, typename Args>
cudaError_t set_engine_smem(void (*kernel)(Args)) {
  return cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, E::kSmemBytes);
}

template <typename E, typename Args>
cudaError_t launch_cooperative(void (*kernel)(Args), const Args& args, int num_ctas, cudaStream_t stream) {
  const cudaError_t status = set_engine_smem<E>(kernel);
  if (status != cudaSuccess) return status;
  cudaLaunchConfig_t config{};
  config.gridDim = dim3(num_ctas);
  config.blockDim = dim3(E::kThreads);
  config.dynamicSmemBytes = E::kSmemBytes;
  config.stream = stream;
  cudaLaunchAttribute cooperative{};
  cooperative.id = cudaLaunchAttributeCooperative;
  cooperative.val.cooperative = 1;
  config.attrs = &cooperative;
  config.numAttrs = 1;
  return cudaLaunchKernelEx(&config, kernel, args);
}

// Resident CTAs per SM times the SMs of `device`.
template <typename E, typename Args>
cudaError_t max_cooperative_ctas(void (*kernel)(Args), int device, int* num_ctas) {
  cudaError_t status = set_engine_smem<E>(kernel);
  if (status != cudaSuccess) return status;
  int per_sm = 0, sms = 0;
  status = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, E::kThreads, E::kSmemBytes);
  if (status != cudaSuccess) return status;
  status = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  if (status != cudaSuccess) return status;
  *num_ctas = per_sm * sms;
  return per_sm > 0 ? cudaSuccess : cudaErrorInvalidConfiguration;
}

// The instantiation for a tile height: one consumer warpgroup for 64 rows, two for 128.
template <typename Args>
cudaError_t launch_cooperative_for(int block_m, void (*one_consumer)(Args), void (*two_consumers)(Args),
                                   const Args& args, int num_ctas, cudaStream_t stream) {
  return block_m == 2 * kWarpgroupRows ? launch_cooperative<Engine<2>>(two_consumers, args, num_ctas, stream)
                                       : launch_cooperative<Engine<1>>(one_consumer, args, num_ctas, stream);
}

template <typename Args>
cudaError_t max_cooperative_ctas_for(int block_m, void (*one_consumer)(Args), void (*two_consumers)(Args), int device,
                                     int* num_ctas) {
  return block_m == 2 * kWarpgroupRows ? max_cooperative_ctas<Engine<2>>(two_consumers, device, num_ctas)
                                       : max_cooperative_ctas<Engine<1>>(one_consumer, device, num_ctas);
}

}  // namespace moe_kernels
