// Host side: a kernel launch that may overlap the previous kernel of its stream (programmatic
// dependent launch). With StreamOrder::kOverlapPrologue the kernel is launched with programmatic
// stream serialisation: its CTAs may start once every CTA of the previous kernel has called
// ptx::launch_dependent_grids (or exited), and must call ptx::wait_prior_grids before touching
// anything that kernel writes.
#pragma once

#include <cuda_runtime.h>
#include <utility>

#include "moe_kernels/launch.hpp"

namespace moe_kernels {

template <typename... Params, typename... Args>
cudaError_t launch_in_order(StreamOrder order, void (*kernel)(Params...), dim3 grid, dim3 block, std::size_t smem,
                            cudaStream_t stream, Args&&... args) {
  cudaLaunchConfig_t config{};
  config.gridDim = grid;
  config.blockDim = block;
  config.dynamicSmemBytes = smem;
  config.stream = stream;
  cudaLaunchAttribute overlap{};
  overlap.id = cudaLaunchAttributeProgrammaticStreamSerialization;
  overlap.val.programmaticStreamSerializationAllowed = 1;
  config.attrs = &overlap;
  config.numAttrs = order == StreamOrder::kOverlapPrologue ? 1 : 0;
  return cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...);
}

// A clustered engine's persistent launch (E: Engine<2, 0, 2> or Fp8EngineT<2>): clusters of
// E::kClusterCtas CTAs, as many as fit at once (a cluster's CTAs share a GPC, so that may be
// fewer than the SMs allow one by one), overlapping the previous kernel's tail as
// launch_in_order does. The count is asked once per kernel (one GPU model per process): the
// query costs more host time than the launch.
template <typename E, typename... Params, typename... Args>
cudaError_t launch_clustered(void (*kernel)(Params...), cudaStream_t stream, StreamOrder order, Args&&... args) {
  cudaError_t status = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, E::kSmemBytes);
  if (status != cudaSuccess) return status;
  cudaLaunchConfig_t config{};
  config.blockDim = dim3(E::kThreads);
  config.dynamicSmemBytes = E::kSmemBytes;
  config.stream = stream;
  cudaLaunchAttribute attributes[2]{};
  attributes[0].id = cudaLaunchAttributeClusterDimension;
  attributes[0].val.clusterDim.x = E::kClusterCtas;
  attributes[0].val.clusterDim.y = 1;
  attributes[0].val.clusterDim.z = 1;
  attributes[1].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attributes[1].val.programmaticStreamSerializationAllowed = 1;
  config.attrs = attributes;
  config.numAttrs = 1;
  config.gridDim = dim3(E::kClusterCtas);
  static int clusters = 0;
  if (clusters == 0) {
    status = cudaOccupancyMaxActiveClusters(&clusters, kernel, &config);
    if (status != cudaSuccess) return status;
    if (clusters == 0) return cudaErrorInvalidConfiguration;
  }
  config.gridDim = dim3(E::kClusterCtas * clusters);
  config.numAttrs = order == StreamOrder::kOverlapPrologue ? 2 : 1;
  return cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...);
}

}  // namespace moe_kernels
