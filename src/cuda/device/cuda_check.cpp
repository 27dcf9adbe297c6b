// Error messages for failed CUDA calls.
#include "cuda/device/cuda_check.hpp"

#include <fmt/format.h>
#include <nccl.h>
#include <unistd.h>

#include "core/errors.hpp"

namespace moebench::cuda {

namespace {
std::string where(const char* file, int line) {
  char host[256] = "?";
  gethostname(host, sizeof(host) - 1);
  int device = -1;
  cudaGetDevice(&device);
  return fmt::format("{}:{} on {} GPU {}", file, line, host, device);
}
}  // namespace

void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line) {
  throw RunError(fmt::format("CUDA error {} ({}) in {} at {}", cudaGetErrorName(status), cudaGetErrorString(status),
                             call, where(file, line)));
}

void throw_cublas_error(int status, const char* call, const char* file, int line) {
  throw RunError(fmt::format("cuBLAS error {} in {} at {}", status, call, where(file, line)));
}

void throw_nccl_error(int status, const char* call, const char* file, int line) {
  const char* detail = ncclGetLastError(nullptr);
  throw RunError(fmt::format("NCCL error {} ({}{}{}) in {} at {}", status,
                             ncclGetErrorString(static_cast<ncclResult_t>(status)), detail && *detail ? ": " : "",
                             detail ? detail : "", call, where(file, line)));
}

}  // namespace moebench::cuda
