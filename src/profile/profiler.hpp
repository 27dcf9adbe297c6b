// --profile: after a case's timed iterations (which stay unprofiled, so the CSV never measures a
// profiled run), one more pass of the same number of iterations runs with phase recording and,
// on the GPU, CUPTI activity, and becomes one trace per (scenario, tokens, implementation).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "backend/implementation.hpp"
#include "core/plan.hpp"
#include "profile/gpu_activity.hpp"
#include "profile/phase.hpp"

namespace moebench {

struct ProfiledPass {
  std::string path;     // the trace written; empty when writing failed (a warning said why)
  std::string summary;  // top kernels (or phases on the CPU) by total time, for --verbose
};

class Profiler {
 public:
  // `gpu` asks for CUPTI activity; when it cannot be had, one warning, and host phases only.
  Profiler(const BenchmarkPlan& plan, const std::string& device_description, bool gpu);

  // Runs run_iteration(-1) untraced (a warm-up), then run_iteration(i) for i in [0, iterations),
  // each inside an "iteration i" range, and writes the trace. run_iteration must return only when
  // the iteration's work is complete. `stages`, when given, is asked after each traced iteration
  // for the stages its kernels timed themselves: a "kernel stages" track per GPU, and their mean
  // durations in the summary.
  ProfiledPass profile(const BenchCase& bench_case, ImplKind kind, int iterations,
                       const std::function<void(int)>& run_iteration, const std::function<KernelStages()>& stages = {});

 private:
  const BenchmarkPlan& plan_;
  std::string device_description_;
  std::string run_id_;
  std::string host_;
  std::unique_ptr<GpuActivityCollector> gpu_;
};

// Per event name, total time and share of the iterations' time, largest first (top `count`).
std::string summarize_trace(const Trace& trace, const std::string& category, int count);

// The n-th KernelStages of `stages` placed on the n-th launch of its kernel on each device (the
// kernel events already in `trace`), appended as "stage" events on a track of their own (the
// caller sorts); devices whose launch count does not match are left out. Returns the mean
// duration per stage name, in the order of the first iteration's spans, over every iteration
// and device.
std::vector<std::pair<std::string, double>> add_kernel_stages(Trace& trace, const std::vector<KernelStages>& stages);

// Thread id of the stage track in a GPU's process (far from CUPTI's stream ids).
constexpr std::int64_t kKernelStagesThread = 1'000'000;

}  // namespace moebench
