// A backend owns devices: it describes them, builds implementations on them, times iterations
// the way that device should be timed, and measures its own peaks. cpu/ and cuda/ implement it;
// runner/ picks one (backend_factory) and drives it.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend/implementation.hpp"
#include "core/device_info.hpp"
#include "core/metrics.hpp"
#include "core/plan.hpp"
#include "core/weights.hpp"

namespace moebench {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual DeviceInfo device_info() const = 0;
  // Devices this backend can offer; the seed's "tp_size exceeds device count" check uses it.
  virtual int max_devices() const = 0;
  // Bytes the plan needs against what the device has; a UsageError message when it cannot fit.
  virtual std::optional<std::string> check_fits(const BenchmarkPlan& plan) const = 0;
  // The bytes per element the roofline counts for a layer of `dtype` (docs/metrics.md).
  virtual TrafficModel traffic_model(WeightDtype dtype) const = 0;
  // The roofline's ceilings; `problem` sizes the bandwidth probe (at least the weights one
  // device holds, so that the probe reads as much as the layer does) and says whether the fp8
  // compute peak is wanted.
  virtual DevicePeaks measure_peaks(const Problem& problem) = 0;
  virtual std::unique_ptr<MoeImplementation> create(ImplKind kind, const Problem& problem,
                                                    const EpWeights& weights) = 0;
  // Warm-up, then `benchmark_iters` timed iterations; milliseconds each. Stops early (returning
  // what it has) when `stop` becomes true.
  virtual std::vector<double> time_iterations(MoeImplementation& impl, const TimingConfig& timing,
                                              const std::atomic<bool>& stop) = 0;
  // Returns once all work launched so far is complete (the profiled pass needs each iteration done).
  virtual void synchronize() = 0;
};

}  // namespace moebench
