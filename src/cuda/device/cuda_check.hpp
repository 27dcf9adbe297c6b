// One error check for CUDA runtime calls: a failure throws RunError naming the call, the file and
// line, the host and the device. (cuBLAS has its own below.)
#pragma once

#include <cuda_runtime.h>
#include <string>

namespace moebench::cuda {

[[noreturn]] void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line);
[[noreturn]] void throw_cublas_error(int status, const char* call, const char* file, int line);
// NCCL: the status as ncclGetErrorString says, plus NCCL's last error text.
[[noreturn]] void throw_nccl_error(int status, const char* call, const char* file, int line);

}  // namespace moebench::cuda

#define MOE_CUDA_CHECK(call)                                                                                    \
  do {                                                                                                          \
    const cudaError_t moe_status_ = (call);                                                                     \
    if (moe_status_ != cudaSuccess) ::moebench::cuda::throw_cuda_error(moe_status_, #call, __FILE__, __LINE__); \
  } while (0)

#define MOE_CUBLAS_CHECK(call)                                                                          \
  do {                                                                                                  \
    const int moe_status_ = static_cast<int>(call);                                                     \
    if (moe_status_ != 0) ::moebench::cuda::throw_cublas_error(moe_status_, #call, __FILE__, __LINE__); \
  } while (0)

#define MOE_NCCL_CHECK(call)                                                                          \
  do {                                                                                                \
    const int moe_status_ = static_cast<int>(call);                                                   \
    if (moe_status_ != 0) ::moebench::cuda::throw_nccl_error(moe_status_, #call, __FILE__, __LINE__); \
  } while (0)
