// Bandwidth: the better of a large device-to-device copy (read + write bytes) and a read-only
// sweep. Compute: a bf16 cuBLAS GEMM on random data. Each the best of several timed calls.
#include "cuda/device_peaks.hpp"

#include <algorithm>
#include <cublas_v2.h>
#include <fmt/format.h>
#include <memory>

#include "cuda/device/cuda_check.hpp"
#include "cuda/device/cuda_handles.hpp"
#include "cuda/device/device_buffer.hpp"
#include "moe_kernels/peak_kernels.hpp"

namespace moebench::cuda {
namespace {

// Best of `repetitions` timed calls of `work` on the stream, after one untimed call.
template <typename Work>
double best_ms(cudaStream_t stream, int repetitions, Work work) {
  work();
  const Event start, stop;
  double best = 1e30;
  for (int i = 0; i < repetitions; ++i) {
    start.record(stream);
    work();
    stop.record(stream);
    MOE_CUDA_CHECK(cudaEventSynchronize(stop.get()));
    best = std::min(best, static_cast<double>(stop.ms_since(start)));
  }
  return best;
}

struct CublasDestroy {
  void operator()(cublasHandle_t handle) const { cublasDestroy(handle); }
};
using CublasHandle = std::unique_ptr<std::remove_pointer_t<cublasHandle_t>, CublasDestroy>;

void measure_bandwidth(cudaStream_t s, DevicePeaks& peaks) {
  const std::size_t bytes = std::size_t{1} << 30;
  DeviceBuffer<std::uint8_t> a(bytes), b(bytes);
  DeviceBuffer<unsigned int> sink(1);
  const double copy_ms =
      best_ms(s, 5, [&] { MOE_CUDA_CHECK(cudaMemcpyAsync(b.data(), a.data(), bytes, cudaMemcpyDeviceToDevice, s)); });
  const double read_ms =
      best_ms(s, 5, [&] { MOE_CUDA_CHECK(moe_kernels::launch_read_reduce(a.data(), bytes, sink.data(), s)); });
  const double copy_gbps = 2.0 * bytes / (copy_ms * 1e-3) / 1e9;
  const double read_gbps = bytes / (read_ms * 1e-3) / 1e9;
  peaks.bandwidth_gbps = std::max(copy_gbps, read_gbps);
  peaks.bandwidth_method = copy_gbps >= read_gbps ? fmt::format("D2D copy of 1 GiB, read sweep {:.0f} GB/s", read_gbps)
                                                  : fmt::format("read sweep of 1 GiB, D2D copy {:.0f} GB/s", copy_gbps);
}

void measure_compute(cudaStream_t s, DevicePeaks& peaks) {
  const int n = 8192;
  const std::size_t count = static_cast<std::size_t>(n) * n;
  DeviceBuffer<__nv_bfloat16> a(count), b(count), c(count);
  MOE_CUDA_CHECK(moe_kernels::launch_fill_random_bf16(a.data(), count, 1, s));
  MOE_CUDA_CHECK(moe_kernels::launch_fill_random_bf16(b.data(), count, 2, s));
  cublasHandle_t raw = nullptr;
  MOE_CUBLAS_CHECK(cublasCreate(&raw));
  const CublasHandle handle(raw);
  MOE_CUBLAS_CHECK(cublasSetStream(handle.get(), s));
  const float alpha = 1.0f, beta = 0.0f;
  const double gemm_ms = best_ms(s, 10, [&] {
    MOE_CUBLAS_CHECK(cublasGemmEx(handle.get(), CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &alpha, a.data(), CUDA_R_16BF, n,
                                  b.data(), CUDA_R_16BF, n, &beta, c.data(), CUDA_R_16BF, n, CUBLAS_COMPUTE_32F,
                                  CUBLAS_GEMM_DEFAULT));
  });
  peaks.tflops = 2.0 * n * n * static_cast<double>(n) / (gemm_ms * 1e-3) / 1e12;
  peaks.compute_method = "cuBLAS bf16 GEMM 8192^3, random data";
}

}  // namespace

DevicePeaks measure_device_peaks(const CudaContext& context) {
  MOE_CUDA_CHECK(cudaSetDevice(context.device));
  DevicePeaks peaks;
  measure_bandwidth(context.stream, peaks);
  measure_compute(context.stream, peaks);
  return peaks;
}

}  // namespace moebench::cuda
