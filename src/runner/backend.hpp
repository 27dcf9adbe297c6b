// A backend owns devices: it describes them, builds implementations on them, times iterations
// the way that device should be timed, and measures its own peaks.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "core/weights.hpp"
#include "runner/implementation.hpp"
#include "runner/plan.hpp"

namespace moebench {

struct DeviceInfo {
  std::string backend;      // "cpu" or "cuda"
  std::string name;         // e.g. "NVIDIA H100 80GB HBM3" or the CPU model
  int device_count = 1;     // devices the run uses
  std::string details;      // free text: cores, SMs, memory, versions
  // The same facts, structured for the JSON output (0 or empty where they do not apply). Each has
  // an initializer, so brace-initializations that stop at `details` stay warning-free.
  int sm_count = 0;                    // CUDA: streaming multiprocessors of one device
  int cpu_threads = 0;                 // CPU: worker threads the backend runs
  std::uint64_t memory_bytes = 0;      // one device's memory (CPU: the host's physical memory)
  std::string compute_capability{};    // CUDA: "9.0"
  std::string driver_cuda_version{};   // CUDA: the CUDA version the driver supports, "13.0"
  std::string cuda_runtime_version{};  // CUDA: the runtime the program runs on, "13.0"
  std::string nccl_version = "none";   // "none" until a backend uses NCCL
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual DeviceInfo device_info() const = 0;
  // Devices this backend can offer; the seed's "tp_size exceeds device count" check uses it.
  virtual int max_devices() const = 0;
  // Bytes the plan needs against what the device has; a UsageError message when it cannot fit.
  virtual std::optional<std::string> check_fits(const BenchmarkPlan& plan) const = 0;
  virtual TrafficModel traffic_model() const = 0;
  virtual DevicePeaks measure_peaks() = 0;
  virtual std::unique_ptr<MoeImplementation> create(ImplKind kind, const Problem& problem,
                                                    const EpWeights& weights) = 0;
  // Warm-up, then `benchmark_iters` timed iterations; milliseconds each. Stops early (returning
  // what it has) when `stop` becomes true.
  virtual std::vector<double> time_iterations(MoeImplementation& impl, const TimingConfig& timing,
                                              const std::atomic<bool>& stop) = 0;
  // Returns once all work launched so far is complete (the profiled pass needs each iteration done).
  virtual void synchronize() = 0;
};

std::unique_ptr<Backend> make_cpu_backend(int num_devices);
// Only in builds with the CUDA backend (MOEBENCH_HAVE_CUDA). `layout`: the GPUs this node drives
// (tp_size / nnodes); `start_token`: node 0's NCCL id from the rendezvous, empty on one node;
// `max_tokens`: the run's largest case, for buffers sized once (0: sized case by case);
// `stuck_timeout_s`: how long several GPUs may take to finish queued work (--dist-timeout).
std::unique_ptr<Backend> make_cuda_backend(const Layout& layout = {}, const std::string& start_token = {},
                                           std::int64_t max_tokens = 0, double stuck_timeout_s = 300);
// Node 0's NCCL unique id, as the rendezvous hands it to the other nodes.
std::string make_nccl_start_token();

}  // namespace moebench
