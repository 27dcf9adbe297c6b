// The profiled pass and its trace.
#include "profile/profiler.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <set>

#include "core/errors.hpp"
#include "core/log.hpp"
#include "platform/host_name.hpp"
#include "profile/trace_file.hpp"

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
                               const std::function<void(int)>& run_iteration,
                               const std::function<KernelStages()>& stages) {
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
  std::vector<KernelStages> kernel_stages;
  for (int i = 0; i < iterations; ++i) {
    {
      ScopedPhase iteration(fmt::format("iteration {}", i), "iteration", nlohmann::json{{"iteration", i}});
      run_iteration(i);
    }
    if (stages) kernel_stages.push_back(stages());
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
  const std::vector<std::pair<std::string, double>> stage_means = add_kernel_stages(trace, kernel_stages);
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
  if (!stage_means.empty()) {
    pass.summary +=
        fmt::format("  stages of {} as it timed itself, mean per GPU and iteration:\n", kernel_stages.front().kernel);
    for (const auto& [name, ns] : stage_means) pass.summary += fmt::format("  {:>9.3f} ms  {}\n", ns / 1e6, name);
  }
  return pass;
}

std::vector<std::pair<std::string, double>> add_kernel_stages(Trace& trace, const std::vector<KernelStages>& stages) {
  std::vector<std::pair<std::string, double>> means;
  if (stages.empty() || stages.front().spans.empty()) return means;
  // Each device's launches of the kernel, in order.
  std::map<int, std::vector<const TraceEvent*>> launches;
  for (const TraceEvent& e : trace.events) {
    if (e.category == "kernel" && e.name.find(stages.front().kernel) != std::string::npos)
      launches[e.process - kGpuProcessBase].push_back(&e);
  }
  for (auto& [device, list] : launches)
    std::sort(list.begin(), list.end(),
              [](const TraceEvent* a, const TraceEvent* b) { return a->start_ns < b->start_ns; });
  std::map<std::string, std::pair<double, int>> totals;
  std::vector<TraceEvent> added;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    std::map<int, std::uint64_t> first_begin;
    for (const KernelStages::Span& span : stages[i].spans) {
      auto [it, fresh] = first_begin.emplace(span.device, span.begin_ns);
      if (!fresh) it->second = std::min(it->second, span.begin_ns);
    }
    for (const KernelStages::Span& span : stages[i].spans) {
      if (i == 0 && std::none_of(means.begin(), means.end(), [&](const auto& m) { return m.first == span.name; }))
        means.emplace_back(span.name, 0.0);
      auto& total = totals[span.name];
      total.first += static_cast<double>(span.end_ns - span.begin_ns);
      total.second += 1;
      const auto found = launches.find(span.device);
      if (found == launches.end() || found->second.size() != stages.size()) continue;
      const std::uint64_t at = found->second[i]->start_ns + (span.begin_ns - first_begin[span.device]);
      TraceEvent e;
      e.name = span.name;
      e.category = "stage";
      e.start_ns = at;
      e.end_ns = at + (span.end_ns - span.begin_ns);
      e.process = kGpuProcessBase + span.device;
      e.thread = kKernelStagesThread;
      e.args = {{"iteration", i}};
      added.push_back(std::move(e));
    }
  }
  for (TraceEvent& e : added) {
    trace.thread_names[{e.process, e.thread}] = "kernel stages (CTA 0's clock)";
    trace.events.push_back(std::move(e));
  }
  for (auto& [name, mean] : means) mean = totals[name].first / std::max(totals[name].second, 1);
  return means;
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
