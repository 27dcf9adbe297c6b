// fused over several GPUs: one cooperative launch per GPU and iteration of the expert-parallel
// fused kernel (kernels/src/sm90_fused_moe_ep.cu, in FP8 sm90_fused_moe_ep_fp8.cu), which moves
// the rows itself through an NCCL symmetric window: each GPU's window is mapped into every peer
// over NVLink (NCCL's LSA team), and NCCL's device-side LSA barrier orders the two exchanges.
// Set-up here: the window (sized for the case, the same layout on every GPU), each peer's address
// of it, the device communicator (nccl_exchange.hpp owns those); a dtype's operands (weights, h,
// the launch) come from Bf16Operands or Fp8Operands.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fmt/format.h>
#include <nccl.h>
#include <nccl_device.h>
#include <thread>

#include "core/errors.hpp"
#include "core/fp8_weights.hpp"
#include "core/log.hpp"
#include "cuda/device/cuda_check.hpp"
#include "cuda/device/cuda_handles.hpp"
#include "cuda/device/device_fp8_weights.hpp"
#include "cuda/device/device_weights.hpp"
#include "cuda/device/fp8_row_buffers.hpp"
#include "cuda/device/routing_storage.hpp"
#include "cuda/multi_gpu/implementations.hpp"
#include "cuda/multi_gpu/moe_base.hpp"
#include "cuda/multi_gpu/nccl_exchange.hpp"
#include "kernel_reports/ep_kernel_report.hpp"
#include "moe_kernels/launch.hpp"
#include "profile/phase.hpp"

namespace moebench::cuda {
namespace {

using moe_kernels::ExpertParallelWindow;
using moe_kernels::MoeGeometry;

// The window for a case of `max_device_tokens` tokens a GPU; received rows bf16, or packed FP8.
ExpertParallelWindow window_layout(const Problem& problem, std::int64_t max_device_tokens) {
  const DeviceMesh mesh = problem.mesh();
  const MoeShape& shape = problem.shape;
  const auto hidden = static_cast<int>(shape.hidden_size);
  const std::uint64_t row_bytes =
      problem.dtype == WeightDtype::kFp8Block128 ? moe_kernels::Fp8PackedRows::of_width(nullptr, hidden).row_bytes : 0;
  return moe_kernels::expert_parallel_window(mesh.num_devices(), mesh.ep_size(), static_cast<int>(shape.num_experts),
                                             static_cast<int>(shape.top_k), hidden, max_device_tokens, row_bytes);
}

// bf16: the kernel reads the received bf16 rows and writes h in bf16.
struct Bf16Operands {
  using Args = moe_kernels::FusedMoeEpArgs;
  DeviceWeights weights;
  DeviceBuffer<__nv_bfloat16> h;

  static const EpWeights& prepare(const EpWeights& w) { return w; }
  void upload(const EpWeights& w, Range experts, Range columns, Args& a) {
    upload_fused_weights(w, experts, columns, weights, a.w13, a.w2);
  }
  // h for `rows` received rows; recv_x: the window's received rows.
  void size(const MoeGeometry& g, std::size_t rows, std::uint8_t* recv_x, Args& a) {
    h.resize(rows * static_cast<std::size_t>(g.intermediate_stride()));
    MOE_CUDA_CHECK(moe_kernels::make_tensor_map_2d(&a.h_map, h.data(), rows, std::max(g.intermediate, 1),
                                                   g.intermediate_stride(), g.block_m));
    a.x = reinterpret_cast<const __nv_bfloat16*>(recv_x);
    a.h = h.data();
  }
  static cudaError_t max_ctas(int device, int block_m, int* ctas) {
    return moe_kernels::fused_moe_ep_max_ctas(device, block_m, ctas);
  }
  static cudaError_t launch(const Args& a, int ctas, cudaStream_t s) {
    return moe_kernels::launch_fused_moe_ep(a, ctas, s);
  }
};

// FP8 (docs/fp8.md): the weights quantized once for all GPUs, each GPU's blocks uploaded; each own
// token quantized into own_fp8 and sent packed; h in e4m3 with its scales.
struct Fp8Operands {
  using Args = moe_kernels::FusedMoeEpFp8Args;
  DeviceFp8Weights weights;
  Fp8RowBuffer h;
  PackedFp8Rows own;

  static Fp8EpWeights prepare(const EpWeights& w) { return quantize_ep_weights(w); }
  void upload(const Fp8EpWeights& w, Range experts, Range columns, Args& a) {
    upload_fused_fp8_weights(slice_fp8_weights(w, experts, columns), weights, a.w13, a.w2);
    a.scales = weights.scales();
  }
  void size(const MoeGeometry& g, std::size_t rows, std::uint8_t* recv_x, Args& a) {
    h.size(static_cast<int>(rows), g.intermediate, moe_kernels::kFp8BlockM);
    own.size(std::max(g.num_tokens, 1), g.hidden);
    a.h = h.rows();
    a.h_map = h.codes_map();
    a.h_scale_map = h.scales_map();
    a.x_fp8 = moe_kernels::Fp8PackedRows::of_width(recv_x, g.hidden);
    a.own_fp8 = own.rows();
  }
  static cudaError_t max_ctas(int device, int, int* ctas) {
    return moe_kernels::fused_moe_ep_fp8_max_ctas(device, ctas);
  }
  static cudaError_t launch(const Args& a, int ctas, cudaStream_t s) {
    return moe_kernels::launch_fused_moe_ep_fp8(a, ctas, s);
  }
};

template <typename Operands>
class MultiGpuFused final : public MultiGpuMoeBase {
 public:
  MultiGpuFused(DeviceGroup& group, const Problem& problem, const EpWeights& w, std::int64_t max_tokens)
      : MultiGpuMoeBase(group, problem),
        devices_(static_cast<std::size_t>(group.local_count())),
        comms_(group),
        windows_(group) {
    const auto& prepared = Operands::prepare(w);
    group_.for_each([&](int local) { upload_weights(local, prepared); });
    require_one_nvlink_domain();
    // Sized once for the run's largest case, so that no case re-registers it.
    if (max_tokens > 0) windows_.grow(window_layout(problem, mesh_.token_range(max_tokens, 0).size()).bytes);
  }

  ~MultiGpuFused() override { group_.set_progress_reporter(nullptr); }

  ImplKind kind() const override { return ImplKind::kFused; }
  std::function<std::string()> progress_reporter() override {
    return [this] { return progress_report(); };
  }

  // Each GPU's stages of the last launch, from the timestamps CTA 0 left in host-mapped memory.
  KernelStages last_kernel_stages() const override {
    std::vector<moe_kernels::EpKernelProgress> by_device;
    for (int local = 0; local < group_.local_count(); ++local) by_device.push_back(read_progress(local));
    return ep_kernel_stages(by_device);
  }

  void run_iteration() override {
    const ScopedPhase phase("fused_moe_ep");
    group_.for_each([&](int local) {
      MOE_CUDA_CHECK(Operands::launch(device(local).args, device(local).num_ctas, group_.context(local).stream));
    });
  }

 private:
  struct Device {
    Operands operands;
    RoutingStorage routing;
    DeviceBuffer<std::int32_t> send_count;
    DeviceBuffer<unsigned int> barrier;
    PinnedBuffer<moe_kernels::EpKernelProgress> progress;  // host-mapped, written by the kernel
    DeviceBuffer<moe_kernels::EpCtaTrace> cta_trace;       // per CTA, with MOEBENCH_EP_TRACE=1
    typename Operands::Args args{};
    int num_ctas = 0;
  };
  Device& device(int local) { return devices_[static_cast<std::size_t>(local)]; }

  template <typename Weights>
  void upload_weights(int local, const Weights& w) {
    Device& d = device(local);
    d.operands.upload(w, expert_range(local), intermediate_range(local), d.args);
    d.send_count.resize(static_cast<std::size_t>(mesh_.ep_size()));
    d.barrier.resize(4);
    d.progress = PinnedBuffer<moe_kernels::EpKernelProgress>(1, cudaHostAllocMapped | cudaHostAllocPortable);
  }

  // The kernel needs every GPU of the world in the LSA team (load/store reachable: one NVLink
  // domain). Across nodes without one, it would need NCCL's GPU-initiated networking (GIN), which
  // this build does not use.
  void require_one_nvlink_domain() const {
    if (comms_.lsa_size() == group_.world_size()) return;
    throw RunError(
        fmt::format("fused over {} GPUs needs them all in one NVLink (load/store) domain; NCCL reports "
                    "{} reachable from GPU rank {}. Run epmoe only (--implementations epmoe) across "
                    "nodes without NVLink between them",
                    group_.world_size(), comms_.lsa_size(), group_.rank(0)));
  }

  void size_workspace() override {
    ExpertParallelWindow layout = window_layout(problem_, max_device_tokens_);
    windows_.grow(layout.bytes);
    group_.for_each([&](int local) {
      Device& d = device(local);
      const MoeGeometry g = shard_geometry(local);
      const auto rows = static_cast<std::size_t>(layout.num_devices) * static_cast<std::size_t>(layout.source_capacity);
      const auto pairs = static_cast<std::size_t>(layout.pair_capacity);
      d.routing.resize(static_cast<std::size_t>(g.local_experts), pairs, rows);
      typename Operands::Args& a = d.args;
      d.operands.size(g, rows, windows_.memory(local) + layout.recv_x, a);
      MOE_CUDA_CHECK(Operands::max_ctas(local, g.block_m, &d.num_ctas));
      if (trace_ctas_) d.cta_trace.resize(static_cast<std::size_t>(d.num_ctas));
      layout.device = group_.rank(local);
      a.window = layout;
      a.geometry = g;
      a.routing = d.routing.view();
      a.activation = problem_.shape.activation;
      a.tokens = shard(local).x.data();
      a.logits = shard(local).logits.data();
      a.router = router_;
      a.send_count = d.send_count.data();
      a.out = shard(local).out.data();
      a.peer_window = windows_.peer_bases(local);
      a.dev_comm = comms_.device_copy(local);
      a.barrier = d.barrier.data();
      a.progress = d.progress.data();
      a.cta_trace = trace_ctas_ ? d.cta_trace.data() : nullptr;
    });
  }

  // Read while the kernels may still run (ep_kernel_report.hpp says what it holds).
  std::string progress_report() const {
    std::vector<GpuProgress> gpus;
    for (int local = 0; local < group_.local_count(); ++local)
      gpus.push_back({group_.rank(local), read_progress(local)});
    std::string report = describe_ep_progress(gpus);
    for (int local = 0; trace_ctas_ && local < group_.local_count(); ++local) {
      const Device& d = devices_[static_cast<std::size_t>(local)];
      std::vector<moe_kernels::EpCtaTrace> ctas(static_cast<std::size_t>(d.num_ctas));
      report += '\n';
      report += copy_while_kernels_run(local, ctas.data(), d.cta_trace.data(), ctas.size() * sizeof(ctas[0]))
                    ? describe_cta_traces(group_.rank(local), ctas, d.args.geometry.block_m / 64)
                    : fmt::format("GPU rank {}: trace unreadable", group_.rank(local));
    }
    return report;
  }

  moe_kernels::EpKernelProgress read_progress(int local) const {
    const volatile moe_kernels::EpKernelProgress* p = devices_[static_cast<std::size_t>(local)].progress.data();
    moe_kernels::EpKernelProgress copy;
    copy.launches = p->launches;
    copy.stage = p->stage;
    copy.fault = p->fault;
    copy.padding = 0;
    for (int s = 0; s < moe_kernels::kEpStageCount; ++s) copy.stage_start_ns[s] = p->stage_start_ns[s];
    copy.end_ns = p->end_ns;
    return copy;
  }

  // A device-to-host copy on a stream of its own, given 2 s: the kernels on the GPU's stream may
  // never end. False if it did not complete.
  static bool copy_while_kernels_run(int local, void* to, const void* from, std::size_t bytes) {
    cudaSetDevice(local);
    cudaStream_t side = nullptr;
    if (cudaStreamCreateWithFlags(&side, cudaStreamNonBlocking) != cudaSuccess) return false;
    cudaMemcpyAsync(to, from, bytes, cudaMemcpyDeviceToHost, side);
    for (int tries = 0; tries < 200 && cudaStreamQuery(side) == cudaErrorNotReady; ++tries)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const bool done = cudaStreamQuery(side) == cudaSuccess;
    if (done) cudaStreamDestroy(side);  // else leave it: destroying waits for the copy
    return done;
  }

  std::vector<Device> devices_;
  DeviceCommunicators comms_;
  SymmetricWindows windows_;  // released before comms_: declared after it
  const bool trace_ctas_ =
      std::getenv("MOEBENCH_EP_TRACE") != nullptr && std::string(std::getenv("MOEBENCH_EP_TRACE")) == "1";
};

}  // namespace

std::unique_ptr<MoeImplementation> make_multi_gpu_fused(DeviceGroup& group, const Problem& problem,
                                                        const EpWeights& weights, std::int64_t max_tokens) {
  if (problem.dtype == WeightDtype::kFp8Block128)
    return std::make_unique<MultiGpuFused<Fp8Operands>>(group, problem, weights, max_tokens);
  return std::make_unique<MultiGpuFused<Bf16Operands>>(group, problem, weights, max_tokens);
}

// Per GPU: its weight shard, the token shard, the symmetric window and the received rows' h.
double multi_gpu_fused_bytes_per_device(const Problem& problem, std::int64_t num_tokens) {
  const DeviceMesh mesh = problem.mesh();
  const MoeShape& s = problem.shape;
  const double E = static_cast<double>(mesh.experts_per_device()), H = static_cast<double>(s.hidden_size);
  const double I = static_cast<double>(mesh.intermediate_range(0).size());
  const double Hs = (H + 7) / 8 * 8, Is = (I + 7) / 8 * 8, Ip = (I + 127) / 128 * 128;
  const std::int64_t tokens = mesh.token_range(num_tokens, 0).size();
  const ExpertParallelWindow w = window_layout(problem, tokens);
  const double rows = static_cast<double>(w.num_devices) * w.source_capacity;
  const double weights = 2.0 * (E * 2 * Ip * Hs + E * H * Is);
  const double shard = static_cast<double>(tokens) * (2.0 * (Hs + H) + 4.0 * static_cast<double>(s.num_experts));
  return weights + shard + static_cast<double>(w.bytes) + rows * (2.0 * Is + 8.0) + 12.0 * w.pair_capacity;
}

double multi_gpu_epmoe_bytes_per_device(const Problem& problem, std::int64_t num_tokens) {
  const DeviceMesh mesh = problem.mesh();
  const MoeShape& s = problem.shape;
  const double E = static_cast<double>(mesh.experts_per_device()), H = static_cast<double>(s.hidden_size);
  const double I = static_cast<double>(mesh.intermediate_range(0).size());
  const double Hs = (H + 7) / 8 * 8, Is = (I + 7) / 8 * 8;
  const double tokens = static_cast<double>(mesh.token_range(num_tokens, 0).size());
  const double pairs = tokens * static_cast<double>(s.top_k);
  const double received =
      static_cast<double>(num_tokens) * static_cast<double>(std::min<std::int64_t>(s.top_k, mesh.experts_per_device()));
  const double weights = 2.0 * (E * 2 * I * Hs + E * H * Is);
  const double shard = tokens * (2.0 * (Hs + H) + 4.0 * static_cast<double>(s.num_experts));
  const double buffers =
      2.0 * pairs * (Hs + mesh.tp_actual() * H) + 2.0 * received * (2 * Hs + Is) + 24.0 * (pairs + received);
  return weights + shard + buffers;
}

}  // namespace moebench::cuda
