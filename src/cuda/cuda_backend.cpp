// The CUDA backend: this node's GPUs (one, or tp_size / nnodes under EP x TP), what they are,
// whether a plan fits in their memory, and the implementations on them. Timing is
// iteration_timer's, the peaks device_peaks'.
#include "cuda/cuda_backend.hpp"

#include <fmt/format.h>

#include "cuda/device/cuda_check.hpp"
#include "cuda/device/device_group.hpp"
#include "cuda/device_peaks.hpp"
#include "cuda/iteration_timer.hpp"
#include "cuda/link_probe.hpp"
#include "cuda/multi_gpu/implementations.hpp"
#include "cuda/single_gpu/implementations.hpp"
#include "platform/memory.hpp"

namespace moebench {

namespace cuda {
namespace {

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
      info.details += fmt::format(
          "; {} GPUs ({} on this node), NCCL {}; epmoe is timed as eager launches (it reads "
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
    need += static_cast<double>(l2_flush_bytes(context_.properties));
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

  // bf16 weights; fp8: e4m3 weights and an f32 scale per 128 x 128 block. x and out as stored (bf16).
  TrafficModel traffic_model(WeightDtype dtype) const override {
    if (dtype == WeightDtype::kFp8Block128) return TrafficModel{1, 2, 4, 2, 4};
    return TrafficModel{2, 2, 4, 2, 0};
  }

  DevicePeaks measure_peaks(const Problem& problem) override {
    const DeviceMesh mesh = problem.mesh();
    const double weight_bytes = 2.0 * 3.0 * static_cast<double>(mesh.experts_per_device()) *
                                static_cast<double>(problem.shape.hidden_size) *
                                static_cast<double>(mesh.intermediate_range(0).size());
    DevicePeaks peaks = measure_device_peaks(context_, static_cast<std::uint64_t>(weight_bytes),
                                             problem.dtype == WeightDtype::kFp8Block128);
    // The links the exchanges use: between two GPUs of this node (with one GPU per node there is
    // no pair to time here, and so no communication bound).
    if (group_.local_count() > 1) measure_link(group_.context(0).device, group_.context(1).device, peaks);
    return peaks;
  }

  std::unique_ptr<MoeImplementation> create(ImplKind kind, const Problem& problem, const EpWeights& weights) override {
    MOE_CUDA_CHECK(cudaSetDevice(context_.device));
    if (group_.world_size() > 1) {
      return kind == ImplKind::kFused ? make_multi_gpu_fused(group_, problem, weights, max_tokens_)
                                      : make_multi_gpu_epmoe(group_, problem, weights);
    }
    return kind == ImplKind::kFused ? make_single_gpu_fused(context_, problem, weights)
                                    : make_single_gpu_epmoe(context_, problem, weights);
  }

  std::vector<double> time_iterations(MoeImplementation& impl, const TimingConfig& timing,
                                      const std::atomic<bool>& stop) override {
    return cuda::time_iterations(group_, impl, timing, layout_.nnodes > 1, stop);
  }

  void synchronize() override { group_.synchronize(); }

 private:
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
