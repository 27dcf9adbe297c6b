// The device a CUDA implementation runs on: its id, properties and the stream all work goes to.
#pragma once

#include <cuda_runtime.h>
#include <string>

namespace moebench::cuda {

struct CudaContext {
  int device = 0;
  cudaDeviceProp properties{};
  cudaStream_t stream = nullptr;

  int sm_count() const { return properties.multiProcessorCount; }
};

}  // namespace moebench::cuda
