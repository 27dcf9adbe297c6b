// Bandwidth: the best of a bulk-copy read sweep and a 16-byte-load read sweep over the same
// several GiB (more when the weights are larger), with a device-to-device copy as a second figure.
// Compute: the best cuBLAS bf16 GEMM among a few large shapes. Each figure is the best of several
// timed calls after an untimed one, on random data.
#include "cuda/device_peaks.hpp"

#include <algorithm>
#include <array>
#include <cublas_v2.h>
#include <fmt/format.h>
#include <memory>
#include <string>
#include <type_traits>

#include "core/log.hpp"
#include "cuda/device/cuda_check.hpp"
#include "cuda/device/cuda_handles.hpp"
#include "cuda/device/device_buffer.hpp"
#include "moe_kernels/peak_kernels.hpp"

namespace moebench::cuda {
namespace {

constexpr int kRounds = 5;

// Best of `rounds` timed calls of `work` on the stream, after one untimed call.
template <typename Work>
double best_ms(cudaStream_t stream, int rounds, Work work) {
  work();
  const Event start, stop;
  double best = 1e30;
  for (int i = 0; i < rounds; ++i) {
    start.record(stream);
    work();
    stop.record(stream);
    MOE_CUDA_CHECK(cudaEventSynchronize(stop.get()));
    best = std::min(best, static_cast<double>(stop.ms_since(start)));
  }
  return best;
}

double gbps(double bytes, double ms) { return bytes / (ms * 1e-3) / 1e9; }

// At least kMinReadSweepBytes and the weights, far past any L2; at most 3/4 of the free memory.
std::size_t read_sweep_bytes(std::uint64_t weight_bytes) {
  std::size_t free = 0, total = 0;
  MOE_CUDA_CHECK(cudaMemGetInfo(&free, &total));
  const std::uint64_t wanted = std::max(kMinReadSweepBytes, weight_bytes);
  return moe_kernels::bulk_read_bytes(std::min<std::uint64_t>(wanted, free / 4 * 3));
}

void measure_bandwidth(cudaStream_t s, std::uint64_t weight_bytes, DevicePeaks& peaks) {
  const std::size_t bytes = read_sweep_bytes(weight_bytes);
  DeviceBuffer<__nv_bfloat16> data(bytes / 2);
  DeviceBuffer<unsigned int> sink(1);
  MOE_CUDA_CHECK(moe_kernels::launch_fill_random_bf16(data.data(), bytes / 2, 3, s));
  const double bulk =
      gbps(static_cast<double>(bytes),
           best_ms(s, kRounds, [&] { MOE_CUDA_CHECK(moe_kernels::launch_bulk_read(data.data(), bytes, s)); }));
  const double loads = gbps(static_cast<double>(bytes), best_ms(s, kRounds, [&] {
                              MOE_CUDA_CHECK(moe_kernels::launch_read_reduce(data.data(), bytes, sink.data(), s));
                            }));
  // The copy: half the sweep's buffer into the other half, read and written bytes both counted.
  const std::size_t half = bytes / 2 / 16 * 16;
  auto* base = reinterpret_cast<std::uint8_t*>(data.data());
  const double copy = gbps(2.0 * static_cast<double>(half), best_ms(s, kRounds, [&] {
                             MOE_CUDA_CHECK(cudaMemcpyAsync(base + half, base, half, cudaMemcpyDeviceToDevice, s));
                           }));
  log_verbose("bandwidth over {:.1f} GiB: bulk-copy read {:.0f} GB/s, 16-byte-load read {:.0f} GB/s, copy {:.0f} GB/s",
              static_cast<double>(bytes) / (1 << 30), bulk, loads, copy);
  const std::string sweep = fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (1 << 30));
  peaks.bandwidth_gbps = std::max({bulk, loads, copy});
  if (peaks.bandwidth_gbps == copy) {
    peaks.bandwidth_method = fmt::format("D2D copy of {}, bulk-copy read {:.0f} GB/s", sweep, bulk);
  } else {
    peaks.bandwidth_method = fmt::format("{} read of {}, best of {}; D2D copy {:.0f} GB/s",
                                         bulk >= loads ? "bulk-copy" : "16-byte-load", sweep, kRounds, copy);
  }
}

struct CublasDestroy {
  void operator()(cublasHandle_t handle) const { cublasDestroy(handle); }
};
using CublasHandle = std::unique_ptr<std::remove_pointer_t<cublasHandle_t>, CublasDestroy>;

struct GemmShape {
  int m, n, k;
};

// Shapes cuBLAS runs near its best on Hopper; A is K-major as the MoE kernels' operands are
// (cuBLAS's "TN": C = A^T B, column-major).
constexpr std::array<GemmShape, 3> kGemmShapes{{{8192, 8192, 8192}, {8192, 8192, 16384}, {16384, 16384, 8192}}};

void measure_compute(cudaStream_t s, DevicePeaks& peaks) {
  std::size_t largest = 0;
  for (const GemmShape& g : kGemmShapes)
    largest = std::max({largest, static_cast<std::size_t>(g.m) * g.k, static_cast<std::size_t>(g.n) * g.k,
                        static_cast<std::size_t>(g.m) * g.n});
  DeviceBuffer<__nv_bfloat16> a(largest), b(largest), c(largest);
  MOE_CUDA_CHECK(moe_kernels::launch_fill_random_bf16(a.data(), largest, 1, s));
  MOE_CUDA_CHECK(moe_kernels::launch_fill_random_bf16(b.data(), largest, 2, s));
  cublasHandle_t raw = nullptr;
  MOE_CUBLAS_CHECK(cublasCreate(&raw));
  const CublasHandle handle(raw);
  MOE_CUBLAS_CHECK(cublasSetStream(handle.get(), s));
  const float alpha = 1.0f, beta = 0.0f;
  for (const GemmShape& g : kGemmShapes) {
    const double ms = best_ms(s, kRounds, [&] {
      MOE_CUBLAS_CHECK(cublasGemmEx(handle.get(), CUBLAS_OP_T, CUBLAS_OP_N, g.m, g.n, g.k, &alpha, a.data(),
                                    CUDA_R_16BF, g.k, b.data(), CUDA_R_16BF, g.k, &beta, c.data(), CUDA_R_16BF, g.m,
                                    CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    });
    const double tflops = 2.0 * g.m * g.n * static_cast<double>(g.k) / (ms * 1e-3) / 1e12;
    log_verbose("cuBLAS bf16 GEMM {}x{}x{}: {:.1f} TFLOP/s", g.m, g.n, g.k, tflops);
    if (tflops <= peaks.tflops) continue;
    peaks.tflops = tflops;
    peaks.compute_method =
        fmt::format("cuBLAS bf16 GEMM {}x{}x{}, best of {} shapes, random data", g.m, g.n, g.k, kGemmShapes.size());
  }
}

}  // namespace

DevicePeaks measure_device_peaks(const CudaContext& context, std::uint64_t weight_bytes) {
  MOE_CUDA_CHECK(cudaSetDevice(context.device));
  DevicePeaks peaks;
  peaks.upper_bounds = true;
  measure_bandwidth(context.stream, weight_bytes, peaks);
  measure_compute(context.stream, peaks);
  // TODO(fp8, issue 22): measure_fp8_compute(context.stream, peaks): an FP8 (e4m3 x e4m3, f32
  // accumulation, bf16 out) cuBLASLt GEMM of 8192 x 8192 x 8192, "TN" as measure_compute's, best
  // of kRounds after an untimed call, on random e4m3 data (no NaN codes), filling
  // peaks.fp8_tflops and peaks.fp8_compute_method (link CUDA::cublasLt in src/cuda/CMakeLists.txt).
  // The header, the JSON's peaks.fp8_tflops and the fp8 rows' roofline (peaks_for_dtype) already
  // read them; while fp8_tflops is 0, fp8 rows get no roofline.
  return peaks;
}

}  // namespace moebench::cuda
