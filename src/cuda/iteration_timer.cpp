// Warm-up, graph capture, cold-L2 flushes, barriers and CUDA events, for every local GPU alike.
#include "cuda/iteration_timer.hpp"

#include <algorithm>
#include <exception>
#include <fmt/format.h>
#include <string>

#include "core/log.hpp"
#include "cuda/device/cuda_handles.hpp"
#include "cuda/device/device_buffer.hpp"
#include "moe_kernels/peak_kernels.hpp"

namespace moebench::cuda {

std::size_t l2_flush_bytes(const cudaDeviceProp& properties) {
  return 2 * static_cast<std::size_t>(properties.l2CacheSize);
}

namespace {

// One buffer per GPU, read before each cold-L2 iteration; nothing where L2 stays warm. The read
// leaves L2 full of clean lines, as a decode step finds it after the previous layers' weight
// reads. TimingConfig::l2_flush kWrite (MOEBENCH_L2_FLUSH=write, the flush before 2026-12-07)
// rewrites the buffer instead: L2 is then left full of dirty lines that the timed layer writes
// back to HBM as it streams its weights, a cost no real decode step pays (measured: 8-10 us a
// layer on an H100, bench/notes.md, fourteenth session).
class L2Flusher {
 public:
  L2Flusher(const DeviceGroup& group, const TimingConfig& timing) : group_(group) {
    if (!timing.cold_l2) return;
    write_ = timing.l2_flush == L2Flush::kWrite;
    buffers_.resize(static_cast<std::size_t>(group.local_count()));
    if (!write_) sinks_.resize(static_cast<std::size_t>(group.local_count()));  // the read's one-word output
    group.for_each([&](int d) {
      buffer(d).resize(l2_flush_bytes(group.context(d).properties));
      if (!write_) sinks_[static_cast<std::size_t>(d)].resize(1);
    });
  }
  void enqueue(int local, int iteration) {
    if (buffers_.empty()) return;
    cudaStream_t stream = group_.context(local).stream;
    if (write_) {
      // A value of its own each iteration, so that no write can be skipped as unchanged.
      MOE_CUDA_CHECK(cudaMemsetAsync(buffer(local).data(), iteration & 0xFF, buffer(local).bytes(), stream));
      return;
    }
    MOE_CUDA_CHECK(moe_kernels::launch_read_into_l2(buffer(local).data(), buffer(local).bytes(),
                                                    sinks_[static_cast<std::size_t>(local)].data(), stream));
  }

 private:
  DeviceBuffer<std::uint8_t>& buffer(int local) { return buffers_[static_cast<std::size_t>(local)]; }
  const DeviceGroup& group_;
  bool write_ = false;
  std::vector<DeviceBuffer<std::uint8_t>> buffers_;
  std::vector<DeviceBuffer<unsigned int>> sinks_;
};

// One iteration captured on every local GPU's stream, instantiated per GPU; empty (time eager
// launches) where capture or instantiation is refused. An error thrown by the iteration itself
// is the implementation's and propagates, once every capture has ended. One GPU captures
// thread-locally, so that a host synchronisation inside the iteration is refused rather than
// captured; several GPUs capture relaxed, since the iteration drives them all from this thread.
std::vector<GraphExec> capture_iteration(const DeviceGroup& group, MoeImplementation& impl) {
  const int n = group.local_count();
  const cudaStreamCaptureMode mode = n == 1 ? cudaStreamCaptureModeThreadLocal : cudaStreamCaptureModeRelaxed;
  group.for_each([&](int d) { MOE_CUDA_CHECK(cudaStreamBeginCapture(group.context(d).stream, mode)); });
  std::exception_ptr thrown;
  try {
    impl.run_iteration();
  } catch (...) {
    thrown = std::current_exception();
  }
  std::vector<GraphExec> graphs;
  cudaError_t refused = cudaSuccess;
  group.for_each([&](int d) {
    cudaGraph_t graph = nullptr;
    cudaError_t status = cudaStreamEndCapture(group.context(d).stream, &graph);
    cudaGraphExec_t exec = nullptr;
    if (status == cudaSuccess && graph != nullptr) status = cudaGraphInstantiate(&exec, graph, 0);
    if (graph != nullptr) cudaGraphDestroy(graph);
    if (exec != nullptr) graphs.emplace_back(exec);
    if (status != cudaSuccess && refused == cudaSuccess) refused = status;
  });
  if (thrown || refused != cudaSuccess) cudaGetLastError();  // the refusal is answered here, not by the next call
  if (thrown) std::rethrow_exception(thrown);
  if (refused == cudaSuccess && static_cast<int>(graphs.size()) == n) return graphs;
  log_warning("CUDA graph capture of {}{} failed ({}); timing eager launches", impl_name(impl.kind()),
              n > 1 ? fmt::format(" on {} GPUs", n) : "", cudaGetErrorString(refused));
  return {};
}

}  // namespace

std::vector<double> time_iterations(DeviceGroup& group, MoeImplementation& impl, const TimingConfig& timing,
                                    bool several_nodes, const std::atomic<bool>& stop) {
  for (int i = 0; i < timing.warmup_iters && !stop; ++i) impl.run_iteration();
  group.synchronize();
  std::vector<GraphExec> graphs;
  if (timing.cuda_graph && impl.graph_capturable()) graphs = capture_iteration(group, impl);
  if (timing.cuda_graph && !impl.graph_capturable())
    log_verbose("{}: an iteration synchronises with the host, timing eager launches", impl_name(impl.kind()));
  L2Flusher flush(group, timing);
  std::vector<Event> start, end;
  group.for_each([&](int) {
    start.emplace_back();
    end.emplace_back();
  });
  auto stream = [&](int d) { return group.context(d).stream; };
  std::vector<double> samples;
  for (int i = 0; i < timing.benchmark_iters && (several_nodes || !stop); ++i) {
    group.for_each([&](int d) { flush.enqueue(d, i); });
    group.barrier();
    group.for_each([&](int d) { start[static_cast<std::size_t>(d)].record(stream(d)); });
    if (graphs.empty()) {
      impl.run_iteration();
    } else {
      group.for_each([&](int d) { graphs[static_cast<std::size_t>(d)].launch(stream(d)); });
    }
    group.for_each([&](int d) { end[static_cast<std::size_t>(d)].record(stream(d)); });
    const std::string what = fmt::format("iteration {} of {}", i + 1, impl_name(impl.kind()));
    double slowest = 0;
    group.for_each([&](int d) {
      const auto g = static_cast<std::size_t>(d);
      group.wait(d, end[g].get(), what);
      slowest = std::max(slowest, static_cast<double>(end[g].ms_since(start[g])));
    });
    samples.push_back(slowest);
  }
  group.max_over_ranks(samples);
  return samples;
}

}  // namespace moebench::cuda
