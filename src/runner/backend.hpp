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
};

std::unique_ptr<Backend> make_cpu_backend(int num_devices);
// Only in builds with the CUDA backend (MOEBENCH_HAVE_CUDA).
std::unique_ptr<Backend> make_cuda_backend();

}  // namespace moebench
