// The profiled pass and its trace.
#include "profile/profiler.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <set>

#include "core/errors.hpp"
#include "core/log.hpp"
#include "profile/trace_file.hpp"
#include "runner/host_name.hpp"

namespace moebench {

Profiler::Profiler(const BenchmarkPlan& plan, const std::string& device_description, bool gpu)
    : plan_(plan), device_description_(device_description), run_id_(trace_run_id()), host_(host_name()) {
  if (gpu) {
    std::string why;
    gpu_ = make_gpu_activity_collector(&why);
    if (!gpu_) log_warning("--profile: {}", why);
  }
}

ProfiledPass Profiler::profile(const BenchCase& c, ImplKind kind, int iterations,
                               const std::function<void(int)>& run_iteration) {
  std::function<std::uint64_t()> clock = gpu_ ? std::function<std::uint64_t()>([this] { return gpu_->now_ns(); })
                                              : std::function<std::uint64_t()>(monotonic_ns);
  PhaseRecorder recorder(clock);
  Trace trace;
  if (gpu_) gpu_->start();
  // One untraced iteration first: it absorbs CUPTI's start-up cost, so the traced iterations
  // (and their share of time in the summary) look like the timed ones.
  run_iteration(-1);
  trace.origin_ns = recorder.now();
  set_active_phase_recorder(&recorder);
  for (int i = 0; i < iterations; ++i) {
    ScopedPhase iteration(fmt::format("iteration {}", i), "iteration", nlohmann::json{{"iteration", i}});
    run_iteration(i);
  }
  set_active_phase_recorder(nullptr);
  trace.events = recorder.take();
  if (gpu_) {
    for (TraceEvent& e : gpu_->stop()) {
      if (e.start_ns < trace.origin_ns) continue;  // the warm-up iteration's work
      trace.process_names[e.process] = fmt::format("GPU {}", e.process - kGpuProcessBase);
      trace.thread_names[{e.process, e.thread}] = fmt::format("stream {}", e.thread);
      trace.events.push_back(std::move(e));
    }
  }
  trace.process_names[kHostProcess] = fmt::format("host {} (phases)", host_);
  for (const TraceEvent& e : trace.events)
    if (e.process == kHostProcess)
      trace.thread_names[{e.process, e.thread}] = e.thread == 0 ? "main thread" : fmt::format("worker {}", e.thread);
  std::sort(trace.events.begin(), trace.events.end(),
            [](const TraceEvent& a, const TraceEvent& b) { return a.start_ns < b.start_ns; });
  trace.metadata = {{"program", "moebench"},
                    {"command", plan_.command_line},
                    {"scenario", scenario_name(c.scenario)},
                    {"num_tokens", c.num_tokens},
                    {"implementation", impl_name(kind)},
                    {"device", device_description_},
                    {"profiled_iterations", iterations},
                    {"note", "a separate pass after the timed iterations; launches are eager (no CUDA graph)"}};

  ProfiledPass pass;
  const std::string path = trace_path(plan_.profile_dir, std::string(scenario_name(c.scenario)), c.num_tokens,
                                      std::string(impl_name(kind)), run_id_, host_);
  try {
    write_gzip_atomically(path, to_chrome_trace_json(trace));
    pass.path = path;
  } catch (const RunError& e) {
    log_warning("--profile: {}; the benchmark goes on without this trace", e.what());
  }
  pass.summary = summarize_trace(trace, gpu_ ? "kernel" : "phase", 5);
  return pass;
}

// Shares are of the iterations' time on every device: with several GPUs a kernel that runs on
// all of them for a whole iteration is 100%, not N x 100%.
std::string summarize_trace(const Trace& trace, const std::string& category, int count) {
  std::map<std::string, double> total_ns;
  std::set<int> devices;
  double iterations_ns = 0;
  for (const TraceEvent& e : trace.events) {
    const double ns = e.end_ns > e.start_ns ? static_cast<double>(e.end_ns - e.start_ns) : 0.0;
    if (e.category == "iteration") iterations_ns += ns;
    if (e.category == category) {
      total_ns[e.name] += ns;
      devices.insert(e.process);
    }
  }
  iterations_ns *= static_cast<double>(std::max<std::size_t>(devices.size(), 1));
  std::vector<std::pair<std::string, double>> ranked(total_ns.begin(), total_ns.end());
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string text;
  for (int i = 0; i < count && i < static_cast<int>(ranked.size()); ++i) {
    std::string name = ranked[i].first;
    if (name.size() > 60) name = name.substr(0, 57) + "...";
    text += fmt::format("  {:>9.3f} ms {:>5.1f}%  {}\n", ranked[i].second / 1e6,
                        iterations_ns > 0 ? 100.0 * ranked[i].second / iterations_ns : 0.0, name);
  }
  return text;
}

}  // namespace moebench
