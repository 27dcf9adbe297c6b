// The CUDA backend's clock (README "What is measured"), one code path for one GPU or several:
// warm-up; one iteration captured as a CUDA graph per GPU (where the implementation allows);
// per timed iteration, L2 flushed if asked, a stream-ordered barrier so that every GPU starts
// together, CUDA events around the work on each GPU, and the slowest GPU's time; at the end the
// max over every node's GPUs, so that all nodes report the same rows.
#pragma once

#include <atomic>
#include <cstddef>
#include <cuda_runtime.h>
#include <vector>

#include "backend/implementation.hpp"
#include "core/plan.hpp"
#include "cuda/device/device_group.hpp"

namespace moebench::cuda {

// Bytes of the buffer whose rewrite flushes L2 before a cold-L2 iteration (twice the L2: what the
// fit check must leave room for).
std::size_t l2_flush_bytes(const cudaDeviceProp& properties);

// Milliseconds of each timed iteration. `stop` ends the timing between iterations, except with
// several nodes, which must all run every iteration (a stop then ends the run between cases).
std::vector<double> time_iterations(DeviceGroup& group, MoeImplementation& impl, const TimingConfig& timing,
                                    bool several_nodes, const std::atomic<bool>& stop);

}  // namespace moebench::cuda
