// Bandwidth: the best of a bulk-copy read sweep and a 16-byte-load read sweep over the same
// several GiB (more when the weights are larger), with a device-to-device copy as a second figure.
// Compute: the best cuBLAS bf16 GEMM among a few large shapes; for fp8 problems also a cuBLASLt
// e4m3 GEMM of 8192^3, the fp8 rows' ceiling. Each figure is the best of several timed calls after
// an untimed one, on random data.
#include "cuda/device_peaks.hpp"

#include <algorithm>
#include <array>
#include <cublasLt.h>
#include <cublas_v2.h>
#include <fmt/format.h>
#include <memory>
#include <optional>
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

// cuBLASLt's handle and descriptors, each released by its own destroy call.
template <typename Handle, cublasStatus_t (*kDestroy)(Handle)>
struct LtDestroy {
  void operator()(Handle handle) const { kDestroy(handle); }
};
template <typename Handle, cublasStatus_t (*kDestroy)(Handle)>
using LtOwner = std::unique_ptr<std::remove_pointer_t<Handle>, LtDestroy<Handle, kDestroy>>;
using LtHandle = LtOwner<cublasLtHandle_t, cublasLtDestroy>;
using LtMatmulDesc = LtOwner<cublasLtMatmulDesc_t, cublasLtMatmulDescDestroy>;
using LtLayout = LtOwner<cublasLtMatrixLayout_t, cublasLtMatrixLayoutDestroy>;
using LtPreference = LtOwner<cublasLtMatmulPreference_t, cublasLtMatmulPreferenceDestroy>;

// A column-major `rows` x `cols` matrix of `type`, packed (leading dimension `rows`).
LtLayout lt_layout(cudaDataType_t type, int rows, int cols) {
  cublasLtMatrixLayout_t raw = nullptr;
  MOE_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&raw, type, rows, cols, rows));
  return LtLayout(raw);
}

// D = A^T B in cuBLASLt: A and B e4m3, both K-major (the "TN" that cuBLASLt's FP8 kernels
// require, as measure_compute's operands), D bf16 (C the same matrix, beta 0), f32 accumulation
// and alpha; no scale pointers, so every scale is 1.
struct LtFp8Gemm {
  LtMatmulDesc desc;
  LtLayout a, b, d;
  cublasLtMatmulAlgo_t algo{};
};

constexpr std::size_t kLtWorkspaceBytes = std::size_t{32} << 20;

// `fast_accumulation`: CUBLASLT_MATMUL_DESC_FAST_ACCUM, FP8's mode that trades accumulation
// precision for speed (on Hopper it skips promoting the tensor cores' partial sums to full f32).
// Empty where cuBLASLt has no algorithm for the GEMM on this device.
std::optional<LtFp8Gemm> plan_fp8_gemm(cublasLtHandle_t lt, const GemmShape& g, bool fast_accumulation) {
  cublasLtMatmulDesc_t raw_desc = nullptr;
  MOE_CUBLAS_CHECK(cublasLtMatmulDescCreate(&raw_desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  LtFp8Gemm gemm{LtMatmulDesc(raw_desc), lt_layout(CUDA_R_8F_E4M3, g.k, g.m), lt_layout(CUDA_R_8F_E4M3, g.k, g.n),
                 lt_layout(CUDA_R_16BF, g.m, g.n)};
  const cublasOperation_t transa = CUBLAS_OP_T, transb = CUBLAS_OP_N;
  const std::int8_t fast = fast_accumulation ? 1 : 0;
  MOE_CUBLAS_CHECK(
      cublasLtMatmulDescSetAttribute(gemm.desc.get(), CUBLASLT_MATMUL_DESC_TRANSA, &transa, sizeof(transa)));
  MOE_CUBLAS_CHECK(
      cublasLtMatmulDescSetAttribute(gemm.desc.get(), CUBLASLT_MATMUL_DESC_TRANSB, &transb, sizeof(transb)));
  MOE_CUBLAS_CHECK(
      cublasLtMatmulDescSetAttribute(gemm.desc.get(), CUBLASLT_MATMUL_DESC_FAST_ACCUM, &fast, sizeof(fast)));
  cublasLtMatmulPreference_t raw_preference = nullptr;
  MOE_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&raw_preference));
  const LtPreference preference(raw_preference);
  const std::uint64_t workspace_bytes = kLtWorkspaceBytes;
  MOE_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(preference.get(), CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                        &workspace_bytes, sizeof(workspace_bytes)));
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  const cublasStatus_t status =
      cublasLtMatmulAlgoGetHeuristic(lt, gemm.desc.get(), gemm.a.get(), gemm.b.get(), gemm.d.get(), gemm.d.get(),
                                     preference.get(), 1, &result, &found);
  // NOT_SUPPORTED: no algorithm for this combination here, as is found == 0; anything else is an error.
  if (status == CUBLAS_STATUS_NOT_SUPPORTED || (status == CUBLAS_STATUS_SUCCESS && found == 0)) return std::nullopt;
  MOE_CUBLAS_CHECK(status);
  gemm.algo = result.algo;
  return gemm;
}

// The fp8 rows' compute ceiling: the best of the two accumulation modes, so that it bounds a kernel
// of either kind. Where there is none, fp8_tflops stays 0 (no fp8 roofline) and the method says why.
void measure_fp8_compute(const CudaContext& context, DevicePeaks& peaks) {
  const int arch = context.properties.major * 10 + context.properties.minor;
  if (arch < 89) {
    peaks.fp8_compute_method = fmt::format("not measured: sm_{} has no FP8 tensor cores", arch);
    log_verbose("fp8 compute peak {}", peaks.fp8_compute_method);
    return;
  }
  const cudaStream_t s = context.stream;
  constexpr GemmShape g{8192, 8192, 8192};
  DeviceBuffer<std::uint8_t> a(static_cast<std::size_t>(g.k) * g.m), b(static_cast<std::size_t>(g.k) * g.n);
  DeviceBuffer<__nv_bfloat16> d(static_cast<std::size_t>(g.m) * g.n);
  DeviceBuffer<std::uint8_t> workspace(kLtWorkspaceBytes);
  MOE_CUDA_CHECK(moe_kernels::launch_fill_random_e4m3(a.data(), a.size(), 1, s));
  MOE_CUDA_CHECK(moe_kernels::launch_fill_random_e4m3(b.data(), b.size(), 2, s));
  cublasLtHandle_t raw = nullptr;
  MOE_CUBLAS_CHECK(cublasLtCreate(&raw));
  const LtHandle lt(raw);
  const float alpha = 1.0f, beta = 0.0f;
  for (const bool fast_accumulation : {false, true}) {
    const std::optional<LtFp8Gemm> gemm = plan_fp8_gemm(lt.get(), g, fast_accumulation);
    if (!gemm) continue;
    const double ms = best_ms(s, kRounds, [&] {
      MOE_CUBLAS_CHECK(cublasLtMatmul(lt.get(), gemm->desc.get(), &alpha, a.data(), gemm->a.get(), b.data(),
                                      gemm->b.get(), &beta, d.data(), gemm->d.get(), d.data(), gemm->d.get(),
                                      &gemm->algo, workspace.data(), kLtWorkspaceBytes, s));
    });
    const double tflops = 2.0 * g.m * g.n * static_cast<double>(g.k) / (ms * 1e-3) / 1e12;
    const char* accumulation = fast_accumulation ? "f32 accumulation (fast mode)" : "f32 accumulation";
    log_verbose("cuBLASLt e4m3 GEMM {}x{}x{}, {}: {:.1f} TFLOP/s", g.m, g.n, g.k, accumulation, tflops);
    if (tflops <= peaks.fp8_tflops) continue;
    peaks.fp8_tflops = tflops;
    peaks.fp8_compute_method = fmt::format("cuBLASLt e4m3 GEMM {}x{}x{}, {}, random data", g.m, g.n, g.k, accumulation);
  }
  if (peaks.fp8_tflops > 0) return;
  peaks.fp8_compute_method = "not measured: cuBLASLt has no e4m3 GEMM algorithm on this device";
  log_verbose("fp8 compute peak {}", peaks.fp8_compute_method);
}

}  // namespace

DevicePeaks measure_device_peaks(const CudaContext& context, std::uint64_t weight_bytes, bool fp8) {
  MOE_CUDA_CHECK(cudaSetDevice(context.device));
  DevicePeaks peaks;
  peaks.upper_bounds = true;
  measure_bandwidth(context.stream, weight_bytes, peaks);
  measure_compute(context.stream, peaks);
  if (fp8) measure_fp8_compute(context, peaks);
  return peaks;
}

}  // namespace moebench::cuda
