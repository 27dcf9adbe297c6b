// The CPU backend: a simulated mesh of up to kMaxCpuDevices virtual devices in one process,
// wall-clock timing, and peaks measured with a large copy and a large SGEMM.
#include "cpu/cpu_backend.hpp"

#include <chrono>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <numeric>
#include <omp.h>
#include <thread>
#include <unistd.h>

#include "core/errors.hpp"
#include "cpu/blas.hpp"
#include "cpu/cpu_memory.hpp"
#include "cpu/cpu_moe.hpp"
#include "platform/memory.hpp"

namespace moebench {
namespace {

constexpr int kMaxCpuDevices = 256;

std::string cpu_model_name() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown CPU";
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Best of a few repetitions of `work`, in seconds.
template <typename Work>
double best_time(int repetitions, Work work) {
  double best = 1e30;
  for (int r = 0; r < repetitions; ++r) {
    const auto start = std::chrono::steady_clock::now();
    work();
    best = std::min(best, seconds_since(start));
  }
  return best;
}

class CpuBackend final : public Backend {
 public:
  // BLAS runs single-threaded inside OpenMP-parallel loops: two spinning thread pools on the same
  // cores cost milliseconds per parallel region (measured: 10x on small layers).
  explicit CpuBackend(int num_devices) : num_devices_(num_devices) { cpu::set_blas_threads(1); }

  DeviceInfo device_info() const override {
    DeviceInfo info;
    info.backend = "cpu";
    info.name = cpu_model_name();
    info.device_count = 1;
    info.details = fmt::format("{} threads, {} simulated device(s)", omp_get_max_threads(), num_devices_);
    info.cpu_threads = omp_get_max_threads();
    info.memory_bytes = static_cast<std::uint64_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE);
    return info;
  }

  int max_devices() const override { return kMaxCpuDevices; }

  std::optional<std::string> check_fits(const BenchmarkPlan& plan) const override {
    const MemoryEstimate need = estimate_cpu_memory(plan);
    const std::uint64_t available = available_host_memory();
    if (available == 0 || need.total() <= available) return std::nullopt;
    return fmt::format("the run needs {} of host memory ({}), {} is available", format_bytes(need.total()),
                       need.describe(), format_bytes(available));
  }

  // Everything in f32, fp8 too: its weights are held dequantized (cpu_weights.hpp), so that is
  // what the paths read, and the scales are folded into them.
  TrafficModel traffic_model(WeightDtype) const override { return TrafficModel{4, 4, 4, 4, 0}; }

  DevicePeaks measure_peaks(const Problem& problem) override {
    DevicePeaks peaks;
    // Copy and read 256 MiB: far beyond any CPU cache.
    const std::size_t n = (256u << 20) / sizeof(float);
    std::vector<float> a(n, 1.0f), b(n, 0.0f);
    const auto elements = static_cast<std::ptrdiff_t>(n);
    const double copy_s = best_time(3, [&] {
#pragma omp parallel for schedule(static)
      for (std::ptrdiff_t i = 0; i < elements; ++i) b[static_cast<std::size_t>(i)] = a[static_cast<std::size_t>(i)];
    });
    double sink = 0.0;
    const double read_s = best_time(3, [&] {
      double sum = 0.0;
#pragma omp parallel for reduction(+ : sum) schedule(static)
      for (std::ptrdiff_t i = 0; i < elements; ++i) sum += a[static_cast<std::size_t>(i)];
      sink += sum;
    });
    const double copy_gbps = 2.0 * n * sizeof(float) / copy_s / 1e9;
    const double read_gbps = n * sizeof(float) / read_s / 1e9 + sink * 0.0;
    peaks.bandwidth_gbps = std::max(copy_gbps, read_gbps);
    peaks.bandwidth_method = copy_gbps >= read_gbps ? "copy of 256 MiB" : "read of 256 MiB";
    if (problem.layout.tp_size > 1) {
      // The simulated devices' "links" are copies between buffers of one memory: a row crossing
      // devices costs what the copy probe's bytes cost, counted once (the bytes that arrive).
      peaks.link_gbps = n * sizeof(float) / copy_s / 1e9;
      peaks.link_method = "simulated mesh: host memcpy of 256 MiB, bytes copied";
    }

    // As the paths use it: one single-threaded SGEMM per OpenMP thread (a multi-threaded BLAS call
    // would start OpenBLAS's own thread pool, which then spins against OpenMP's).
    const std::int64_t m = 1536;
    const int threads = omp_get_max_threads();
    std::vector<std::vector<float>> operands(static_cast<std::size_t>(3 * threads));
    for (auto& v : operands) v.assign(static_cast<std::size_t>(m * m), 0.5f);
    const double gemm_s = best_time(3, [&] {
#pragma omp parallel num_threads(threads)
      {
        const auto t = static_cast<std::size_t>(omp_get_thread_num());
        cpu::gemm(cpu::Trans::kNo, cpu::Trans::kNo, m, m, m, 1.0f, operands[3 * t].data(), m,
                  operands[3 * t + 1].data(), m, 0.0f, operands[3 * t + 2].data(), m);
      }
    });
    peaks.tflops = 2.0 * m * m * m * threads / gemm_s / 1e12;
    peaks.compute_method = fmt::format("SGEMM 1536^3 per thread x {} (OpenBLAS)", threads);
    if (problem.dtype == WeightDtype::kFp8Block128) {
      // fp8 is emulated in f32: the same GEMMs, the same peak.
      peaks.fp8_tflops = peaks.tflops;
      peaks.fp8_compute_method = "fp8 emulated in f32: the SGEMM peak";
    }
    return peaks;
  }

  std::unique_ptr<MoeImplementation> create(ImplKind kind, const Problem& problem, const EpWeights& weights) override {
    return kind == ImplKind::kFused ? cpu::make_cpu_fused(problem, weights) : cpu::make_cpu_epmoe(problem, weights);
  }

  std::vector<double> time_iterations(MoeImplementation& impl, const TimingConfig& timing,
                                      const std::atomic<bool>& stop) override {
    for (int i = 0; i < timing.warmup_iters && !stop; ++i) impl.run_iteration();
    std::vector<double> samples;
    for (int i = 0; i < timing.benchmark_iters && !stop; ++i) {
      const auto start = std::chrono::steady_clock::now();
      impl.run_iteration();
      samples.push_back(seconds_since(start) * 1e3);
    }
    return samples;
  }

  void synchronize() override {}

 private:
  int num_devices_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(int num_devices) { return std::make_unique<CpuBackend>(num_devices); }

}  // namespace moebench
