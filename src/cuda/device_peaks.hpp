// The two ceilings of the roofline (docs/metrics.md), measured on one GPU at the start of every
// run: memory bandwidth and the bf16 tensor-core rate.
#pragma once

#include "core/metrics.hpp"
#include "cuda/device/cuda_context.hpp"

namespace moebench::cuda {

DevicePeaks measure_device_peaks(const CudaContext& context);

}  // namespace moebench::cuda
