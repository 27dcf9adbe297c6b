// The two ceilings of the roofline (docs/metrics.md), measured on one GPU at the start of every
// run, each the best the card showed in several ways of doing it, so that no kernel of ours can
// beat them: the bandwidth of a read sweep far past L2, the rate of a dense bf16 GEMM (and, for
// fp8 runs, of a dense FP8 one).
#pragma once

#include <cstdint>

#include "core/metrics.hpp"
#include "cuda/device/cuda_context.hpp"

namespace moebench::cuda {

// `weight_bytes`: the weights one GPU of the run holds; the read sweep covers at least that much
// (and at least kMinReadSweepBytes) where memory allows. `fp8`: also the FP8 GEMM rate (fp8_tflops).
DevicePeaks measure_device_peaks(const CudaContext& context, std::uint64_t weight_bytes, bool fp8);

constexpr std::uint64_t kMinReadSweepBytes = std::uint64_t{4} << 30;

}  // namespace moebench::cuda
