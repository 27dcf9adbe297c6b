// A grid-wide barrier for a persistent kernel whose CTAs are all resident (a cooperative launch):
// an arrival counter and a generation number in global memory, both zero at allocation.
#pragma once

#include <cstdint>

#include "moe_kernels/detail/ptx.cuh"

namespace moe_kernels {

struct GridBarrier {
  unsigned int* count;
  unsigned int* generation;
  unsigned int* trace = nullptr;  // host-mapped {entered, left} of this CTA, or null (ep_progress.hpp)
  unsigned int passed = 0;

  // Every thread of every CTA calls this; the warp-specialised roles call it from their own
  // branches, so the CTA-level part is a raw bar.sync 0.
  __device__ void sync() {
    ptx::cta_sync_all();
    if (threadIdx.x == 0) {
      if (trace != nullptr) ptx::store_volatile(&trace[0], passed + 1);
      volatile unsigned int* gen = generation;
      const unsigned int seen = *gen;
      __threadfence();
      if (atomicAdd(count, 1u) == gridDim.x - 1) {
        *count = 0;
        __threadfence();
        atomicAdd(generation, 1u);
      } else {
        while (*gen == seen) __nanosleep(64);
      }
      __threadfence();
      if (trace != nullptr) ptx::store_volatile(&trace[1], ++passed);
    }
    ptx::cta_sync_all();
  }
};

}  // namespace moe_kernels
