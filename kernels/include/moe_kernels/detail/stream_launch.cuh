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

}  // namespace moe_kernels
