// What a run measured on: the backend's description of its devices, as the outputs print it.
#pragma once

#include <cstdint>
#include <string>

namespace moebench {

struct DeviceInfo {
  std::string backend;   // "cpu" or "cuda"
  std::string name;      // e.g. "NVIDIA H100 80GB HBM3" or the CPU model
  int device_count = 1;  // devices the run uses
  std::string details;   // free text: cores, SMs, memory, versions
  // The same facts, structured for the JSON output (0 or empty where they do not apply). Each has
  // an initializer, so brace-initializations that stop at `details` stay warning-free.
  int sm_count = 0;                    // CUDA: streaming multiprocessors of one device
  int cpu_threads = 0;                 // CPU: worker threads the backend runs
  std::uint64_t memory_bytes = 0;      // one device's memory (CPU: the host's physical memory)
  std::string compute_capability{};    // CUDA: "9.0"
  std::string driver_cuda_version{};   // CUDA: the CUDA version the driver supports, "13.0"
  std::string cuda_runtime_version{};  // CUDA: the runtime the program runs on, "13.0"
  std::string nccl_version = "none";   // "none" until a backend uses NCCL
};

}  // namespace moebench
