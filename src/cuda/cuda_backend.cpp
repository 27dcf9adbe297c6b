// The CUDA backend: this node's GPUs (one, or tp_size / nnodes under EP x TP), CUDA-event timing
// (optionally of graph replays, optionally with L2 flushed first), and ceilings measured on the
// first GPU: a large copy, a read-only sweep, and a bf16 cuBLAS GEMM on random data.
#include "cuda/cuda_backend.hpp"

#include <algorithm>
#include <cublas_v2.h>
#include <fmt/format.h>

#include "core/log.hpp"
#include "cuda/device/cuda_check.hpp"
#include "cuda/single_gpu/implementations.hpp"
#include "cuda/device/device_group.hpp"
#include "cuda/multi_gpu/implementations.hpp"
#include "cuda/device/device_buffer.hpp"
#include "moe_kernels/peak_kernels.hpp"
#include "platform/memory.hpp"

namespace moebench {

namespace cuda {
namespace {

class EventTimer {
 public:
  EventTimer() {
    MOE_CUDA_CHECK(cudaEventCreate(&start_));
    MOE_CUDA_CHECK(cudaEventCreate(&stop_));
  }
  ~EventTimer() {
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
  }
  void start(cudaStream_t s) { MOE_CUDA_CHECK(cudaEventRecord(start_, s)); }
  double stop_ms(cudaStream_t s) {
    MOE_CUDA_CHECK(cudaEventRecord(stop_, s));
    MOE_CUDA_CHECK(cudaEventSynchronize(stop_));
    float ms = 0;
    MOE_CUDA_CHECK(cudaEventElapsedTime(&ms, start_, stop_));
    return ms;
  }

 private:
  cudaEvent_t start_{}, stop_{};
};

// Best of `repetitions` timed calls of `work` on the stream, after one untimed call.
template <typename Work>
double best_ms(cudaStream_t stream, int repetitions, Work work) {
  work();
  EventTimer timer;
  double best = 1e30;
  for (int i = 0; i < repetitions; ++i) {
    timer.start(stream);
    work();
    best = std::min(best, timer.stop_ms(stream));
  }
  return best;
}

class CudaBackend final : public Backend {
 public:
  CudaBackend(const Layout& layout, const std::string& start_token, std::int64_t max_tokens, double stuck_timeout_s)
      : layout_(layout), group_(layout, start_token), context_(group_.context(0)), max_tokens_(max_tokens) {
    group_.set_stuck_timeout(stuck_timeout_s);
    MOE_CUDA_CHECK(cudaGetDeviceCount(&device_count_));
    MOE_CUDA_CHECK(cudaSetDevice(context_.device));
  }

  DeviceInfo device_info() const override {
    const cudaDeviceProp& p = context_.properties;
    int driver = 0, runtime = 0;
    cudaDriverGetVersion(&driver);
    cudaRuntimeGetVersion(&runtime);
    DeviceInfo info;
    info.backend = "cuda";
    info.name = p.name;
    info.device_count = group_.world_size();
    info.details = fmt::format("sm_{}{}, {} SMs, {:.1f} GiB, L2 {} MiB, driver CUDA {}.{}, runtime {}.{}", p.major,
                               p.minor, p.multiProcessorCount, p.totalGlobalMem / 1073741824.0, p.l2CacheSize >> 20,
                               driver / 1000, driver % 1000 / 10, runtime / 1000, runtime % 1000 / 10);
    info.sm_count = p.multiProcessorCount;
    info.memory_bytes = p.totalGlobalMem;
    info.compute_capability = fmt::format("{}.{}", p.major, p.minor);
    info.driver_cuda_version = fmt::format("{}.{}", driver / 1000, driver % 1000 / 10);
    info.cuda_runtime_version = fmt::format("{}.{}", runtime / 1000, runtime % 1000 / 10);
    if (group_.world_size() > 1) {
      int nccl = 0;
      ncclGetVersion(&nccl);
      info.nccl_version = fmt::format("{}.{}.{}", nccl / 10000, nccl / 100 % 100, nccl % 100);
      info.details += fmt::format("; {} GPUs ({} on this node), NCCL {}; epmoe is timed as eager launches (it reads "
                                  "the all-to-all sizes back each iteration)",
                                  group_.world_size(), group_.local_count(), info.nccl_version);
    }
    return info;
  }

  int max_devices() const override { return device_count_; }

  std::optional<std::string> check_fits(const BenchmarkPlan& plan) const override {
    double need = 0;
    const bool single = group_.world_size() == 1;
    for (ImplKind kind : plan.implementations) {
      if (kind == ImplKind::kFused)
        need += single ? single_gpu_fused_bytes(plan.problem, plan.max_tokens())
                       : multi_gpu_fused_bytes_per_device(plan.problem, plan.max_tokens());
      else
        need += single ? single_gpu_epmoe_bytes(plan.problem, plan.max_tokens())
                       : multi_gpu_epmoe_bytes_per_device(plan.problem, plan.max_tokens());
    }
    need += 2.0 * context_.properties.l2CacheSize;  // the cold-L2 flush buffer
    for (int local = 0; local < group_.local_count(); ++local) {
      MOE_CUDA_CHECK(cudaSetDevice(local));
      std::size_t free = 0, total = 0;
      MOE_CUDA_CHECK(cudaMemGetInfo(&free, &total));
      if (need > 0.95 * static_cast<double>(free)) {
        return fmt::format("the run needs {} of GPU memory{}, {} is free on GPU {} ({})", format_bytes(need),
                           single ? "" : " per GPU", format_bytes(static_cast<double>(free)), local,
                           group_.context(local).properties.name);
      }
    }
    MOE_CUDA_CHECK(cudaSetDevice(context_.device));
    return std::nullopt;
  }

  TrafficModel traffic_model() const override { return TrafficModel{2, 2, 4, 2}; }

  DevicePeaks measure_peaks() override {
    MOE_CUDA_CHECK(cudaSetDevice(context_.device));
    DevicePeaks peaks;
    cudaStream_t s = context_.stream;
    {
      const std::size_t bytes = std::size_t{1} << 30;
      DeviceBuffer<std::uint8_t> a(bytes), b(bytes);
      DeviceBuffer<unsigned int> sink(1);
      const double copy_ms =
          best_ms(s, 5, [&] { MOE_CUDA_CHECK(cudaMemcpyAsync(b.data(), a.data(), bytes, cudaMemcpyDeviceToDevice, s)); });
      const double read_ms = best_ms(s, 5, [&] { MOE_CUDA_CHECK(moe_kernels::launch_read_reduce(a.data(), bytes, sink.data(), s)); });
      const double copy_gbps = 2.0 * bytes / (copy_ms * 1e-3) / 1e9;
      const double read_gbps = bytes / (read_ms * 1e-3) / 1e9;
      peaks.bandwidth_gbps = std::max(copy_gbps, read_gbps);
      peaks.bandwidth_method = copy_gbps >= read_gbps ? fmt::format("D2D copy of 1 GiB, read sweep {:.0f} GB/s", read_gbps)
                                                      : fmt::format("read sweep of 1 GiB, D2D copy {:.0f} GB/s", copy_gbps);
    }
    {
      const int n = 8192;
      const std::size_t count = static_cast<std::size_t>(n) * n;
      DeviceBuffer<__nv_bfloat16> a(count), b(count), c(count);
      MOE_CUDA_CHECK(moe_kernels::launch_fill_random_bf16(a.data(), count, 1, s));
      MOE_CUDA_CHECK(moe_kernels::launch_fill_random_bf16(b.data(), count, 2, s));
      cublasHandle_t handle = nullptr;
      MOE_CUBLAS_CHECK(cublasCreate(&handle));
      MOE_CUBLAS_CHECK(cublasSetStream(handle, s));
      const float alpha = 1.0f, beta = 0.0f;
      const double gemm_ms = best_ms(s, 10, [&] {
        MOE_CUBLAS_CHECK(cublasGemmEx(handle, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &alpha, a.data(), CUDA_R_16BF, n,
                                      b.data(), CUDA_R_16BF, n, &beta, c.data(), CUDA_R_16BF, n, CUBLAS_COMPUTE_32F,
                                      CUBLAS_GEMM_DEFAULT));
      });
      cublasDestroy(handle);
      peaks.tflops = 2.0 * n * n * static_cast<double>(n) / (gemm_ms * 1e-3) / 1e12;
      peaks.compute_method = "cuBLAS bf16 GEMM 8192^3, random data";
    }
    return peaks;
  }

  std::unique_ptr<MoeImplementation> create(ImplKind kind, const Problem& problem, const EpWeights& weights) override {
    MOE_CUDA_CHECK(cudaSetDevice(context_.device));
    if (group_.world_size() > 1) {
      return kind == ImplKind::kFused ? make_multi_gpu_fused(group_, problem, weights, max_tokens_) : make_multi_gpu_epmoe(group_, problem, weights);
    }
    return kind == ImplKind::kFused ? make_single_gpu_fused(context_, problem, weights)
                                    : make_single_gpu_epmoe(context_, problem, weights);
  }

  std::vector<double> time_iterations(MoeImplementation& impl, const TimingConfig& timing,
                                      const std::atomic<bool>& stop) override {
    if (group_.world_size() > 1) return time_on_every_gpu(impl, timing, stop);
    MOE_CUDA_CHECK(cudaSetDevice(context_.device));
    cudaStream_t s = context_.stream;
    for (int i = 0; i < timing.warmup_iters && !stop; ++i) impl.run_iteration();
    MOE_CUDA_CHECK(cudaStreamSynchronize(s));
    cudaGraphExec_t graph_exec = timing.cuda_graph ? capture(impl) : nullptr;
    DeviceBuffer<std::uint8_t> flush;
    if (timing.cold_l2) flush.resize(2 * static_cast<std::size_t>(context_.properties.l2CacheSize));
    EventTimer timer;
    std::vector<double> samples;
    for (int i = 0; i < timing.benchmark_iters && !stop; ++i) {
      if (timing.cold_l2) MOE_CUDA_CHECK(cudaMemsetAsync(flush.data(), i & 0xFF, flush.bytes(), s));
      timer.start(s);
      if (graph_exec) MOE_CUDA_CHECK(cudaGraphLaunch(graph_exec, s));
      else impl.run_iteration();
      samples.push_back(timer.stop_ms(s));
    }
    if (graph_exec) cudaGraphExecDestroy(graph_exec);
    return samples;
  }

  void synchronize() override { group_.synchronize(); }

 private:
  // Several GPUs: all start together after a stream-ordered barrier (not timed), each records its
  // own events, and an iteration lasts until the slowest GPU ends: the max over this node's GPUs,
  // then over every node's (one all-reduce after the last iteration, so nodes agree on every row).
  std::vector<double> time_on_every_gpu(MoeImplementation& impl, const TimingConfig& timing,
                                        const std::atomic<bool>& stop) {
    const int n = group_.local_count();
    for (int i = 0; i < timing.warmup_iters && !stop; ++i) impl.run_iteration();
    group_.synchronize();
    std::vector<cudaGraphExec_t> graphs;
    if (timing.cuda_graph && impl.graph_capturable()) graphs = capture_every_gpu(impl);
    if (timing.cuda_graph && !impl.graph_capturable())
      log_verbose("{}: an iteration synchronises with the host, timing eager launches", impl_name(impl.kind()));
    std::vector<DeviceBuffer<std::uint8_t>> flush(static_cast<std::size_t>(n));
    std::vector<cudaEvent_t> start(static_cast<std::size_t>(n)), end(static_cast<std::size_t>(n));
    group_.for_each([&](int d) {
      if (timing.cold_l2) flush[static_cast<std::size_t>(d)].resize(2 * static_cast<std::size_t>(group_.context(d).properties.l2CacheSize));
      MOE_CUDA_CHECK(cudaEventCreate(&start[static_cast<std::size_t>(d)]));
      MOE_CUDA_CHECK(cudaEventCreate(&end[static_cast<std::size_t>(d)]));
    });
    std::vector<double> samples;
    // Every node runs the same number of iterations: a stop request ends the run between cases.
    for (int i = 0; i < timing.benchmark_iters && (layout_.nnodes > 1 || !stop); ++i) {
      group_.for_each([&](int d) {
        if (timing.cold_l2)
          MOE_CUDA_CHECK(cudaMemsetAsync(flush[static_cast<std::size_t>(d)].data(), i & 0xFF,
                                         flush[static_cast<std::size_t>(d)].bytes(), group_.context(d).stream));
      });
      group_.barrier();
      group_.for_each([&](int d) { MOE_CUDA_CHECK(cudaEventRecord(start[static_cast<std::size_t>(d)], group_.context(d).stream)); });
      if (!graphs.empty()) {
        group_.for_each([&](int d) { MOE_CUDA_CHECK(cudaGraphLaunch(graphs[static_cast<std::size_t>(d)], group_.context(d).stream)); });
      } else {
        impl.run_iteration();
      }
      double slowest = 0;
      group_.for_each([&](int d) { MOE_CUDA_CHECK(cudaEventRecord(end[static_cast<std::size_t>(d)], group_.context(d).stream)); });
      const std::string what = fmt::format("iteration {} of {}", i + 1, impl_name(impl.kind()));
      group_.for_each([&](int d) {
        group_.wait(d, end[static_cast<std::size_t>(d)], what);
        float ms = 0;
        MOE_CUDA_CHECK(cudaEventElapsedTime(&ms, start[static_cast<std::size_t>(d)], end[static_cast<std::size_t>(d)]));
        slowest = std::max(slowest, static_cast<double>(ms));
      });
      samples.push_back(slowest);
    }
    for (int d = 0; d < n; ++d) {
      cudaSetDevice(d);
      cudaEventDestroy(start[static_cast<std::size_t>(d)]);
      cudaEventDestroy(end[static_cast<std::size_t>(d)]);
      if (!graphs.empty()) cudaGraphExecDestroy(graphs[static_cast<std::size_t>(d)]);
    }
    group_.max_over_ranks(samples);
    return samples;
  }

  // One graph per GPU, captured together from one iteration; empty (eager timing) where refused.
  std::vector<cudaGraphExec_t> capture_every_gpu(MoeImplementation& impl) {
    const int n = group_.local_count();
    group_.for_each([&](int d) { MOE_CUDA_CHECK(cudaStreamBeginCapture(group_.context(d).stream, cudaStreamCaptureModeRelaxed)); });
    bool ok = true;
    try {
      impl.run_iteration();
    } catch (...) {
      ok = false;
    }
    std::vector<cudaGraphExec_t> graphs(static_cast<std::size_t>(n), nullptr);
    for (int d = 0; d < n; ++d) {
      MOE_CUDA_CHECK(cudaSetDevice(d));
      cudaGraph_t graph = nullptr;
      if (cudaStreamEndCapture(group_.context(d).stream, &graph) != cudaSuccess || graph == nullptr) ok = false;
      if (ok && cudaGraphInstantiate(&graphs[static_cast<std::size_t>(d)], graph, 0) != cudaSuccess) ok = false;
      if (graph) cudaGraphDestroy(graph);
    }
    if (ok) return graphs;
    cudaGetLastError();
    for (cudaGraphExec_t g : graphs)
      if (g) cudaGraphExecDestroy(g);
    log_warning("CUDA graph capture of {} on {} GPUs failed; timing eager launches", impl_name(impl.kind()), n);
    return {};
  }

  // One iteration captured as a graph; null (timed eagerly instead) where capture is refused.
  cudaGraphExec_t capture(MoeImplementation& impl) {
    cudaStream_t s = context_.stream;
    cudaGraph_t graph = nullptr;
    cudaGraphExec_t exec = nullptr;
    MOE_CUDA_CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
    try {
      impl.run_iteration();
    } catch (...) {
      cudaStreamEndCapture(s, &graph);
      if (graph) cudaGraphDestroy(graph);
      throw;
    }
    MOE_CUDA_CHECK(cudaStreamEndCapture(s, &graph));
    const cudaError_t status = cudaGraphInstantiate(&exec, graph, 0);
    cudaGraphDestroy(graph);
    if (status != cudaSuccess) {
      cudaGetLastError();
      log_warning("CUDA graph capture of {} failed ({}); timing eager launches", impl_name(impl.kind()),
                  cudaGetErrorString(status));
      return nullptr;
    }
    return exec;
  }

  Layout layout_;
  DeviceGroup group_;
  CudaContext context_;  // the first local GPU: peaks, and the whole run on one GPU
  std::int64_t max_tokens_ = 0;
  int device_count_ = 0;
};

}  // namespace
}  // namespace cuda

std::unique_ptr<Backend> make_cuda_backend(const Layout& layout, const std::string& start_token,
                                           std::int64_t max_tokens, double stuck_timeout_s) {
  return std::make_unique<cuda::CudaBackend>(layout, start_token, max_tokens, stuck_timeout_s);
}

std::string make_nccl_start_token() { return cuda::make_nccl_start_token(); }

int cuda_device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return count;
}

}  // namespace moebench
