// The benchmark loop.
#include "runner/benchmark_runner.hpp"

#include <algorithm>
#include <chrono>
#include <map>

#include "core/log.hpp"
#include "core/reference.hpp"
#include "core/statistics.hpp"
#include "platform/host_name.hpp"
#include "platform/version.hpp"
#include "profile/profiler.hpp"

namespace moebench {

namespace {

struct MeasuredImpl {
  ImplKind kind;
  LatencyStats latency;
  std::vector<float> output;  // only with --check or --save-tensors
};

ResultRow make_row(const BenchmarkPlan& plan, const Backend& backend, const DeviceInfo& device,
                   const DevicePeaks& peaks, const BenchCase& c, const MeasuredImpl& m,
                   const std::vector<std::int64_t>& loads, const LoadStats& load, std::int64_t active_experts) {
  const Problem& p = plan.problem;
  ResultRow row;
  row.implementation = m.kind;
  row.bench_case = c;
  row.ep_size = p.layout.ep_size;
  row.tp_size = p.layout.tp_size;
  row.num_experts = p.shape.num_experts;
  row.top_k = p.shape.top_k;
  row.latency = m.latency;
  row.load = load;
  row.expert_loads = loads;
  row.throughput_tok_per_sec = throughput_tok_per_sec(c.num_tokens, m.latency.mean_ms);
  row.device = device.backend + ":" + device.name;
  const TrafficModel traffic = backend.traffic_model();
  row.dtype = traffic.weight_bytes == 2 ? "bf16" : "f32";
  row.roofline =
      roofline_metrics(layer_flops(p.shape, c.num_tokens), layer_bytes(p.shape, c.num_tokens, active_experts, traffic),
                       m.latency.mean_ms, peaks, device.device_count);
  return row;
}

// A row above 100% of its roofline means a peak probe fell short: said on stderr, one line each.
void warn_of_rows_above_roofline(const std::vector<ResultRow>& rows, const DevicePeaks& peaks, int num_devices,
                                 bool cold_l2) {
  for (const ResultRow& r : rows) {
    if (!r.roofline) continue;
    const std::string name = fmt::format("{} {} tokens={}", impl_name(r.implementation),
                                         scenario_name(r.bench_case.scenario), r.bench_case.num_tokens);
    if (auto line = roofline_excess_warning(name, *r.roofline, peaks, num_devices, cold_l2)) log_warning("{}", *line);
  }
}

}  // namespace

RunOutcome run_benchmark(const BenchmarkPlan& plan, Backend& backend, ResultPrinter& printer, ProgressLine& progress,
                         const std::atomic<bool>& stop, TensorSaver* saver) {
  const auto cases = plan.cases();
  RunOutcome outcome;
  outcome.cases_planned = static_cast<int>(cases.size());
  const MoeShape& shape = plan.problem.shape;
  if (saver) saver->save_config();

  // Before the weights take the device's memory: the bandwidth probe reads as much as they hold.
  progress.update("measuring device peaks");
  const DevicePeaks peaks = backend.measure_peaks(plan.problem);

  progress.update("generating weights");
  auto start = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<MoeImplementation>> impls;
  {
    const EpWeights weights = generate_ep_weights(shape, plan.seed);
    if (saver) {
      progress.clear();
      saver->save_weights(weights);
    }
    for (ImplKind kind : plan.implementations) {
      progress.update(fmt::format("preparing {} weights", impl_name(kind)));
      impls.push_back(backend.create(kind, plan.problem, weights));
    }
  }
  log_verbose("weights generated and sharded in {:.2f} s",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());

  const DeviceInfo device = backend.device_info();
  std::unique_ptr<Profiler> profiler;
  if (plan.profile)
    profiler = std::make_unique<Profiler>(plan, device.backend + ":" + device.name, device.backend == "cuda");
  printer.begin(RunInfo{&plan, device, peaks, moebench_version(), {host_name()}});

  const int total = static_cast<int>(cases.size() * impls.size());
  int step = 0;
  for (const BenchCase& c : cases) {
    if (stop) break;
    const CaseInputs inputs = make_case_inputs(shape, c, plan.imbalance_factor, plan.seed);
    const Routing routing = route_all(inputs.router_logits, c.num_tokens, static_cast<int>(shape.num_experts),
                                      static_cast<int>(shape.top_k), shape.router);
    const auto loads = expert_loads(routing, static_cast<int>(shape.num_experts));
    const LoadStats load = summarize_loads(loads, c.num_tokens, static_cast<int>(shape.top_k));
    const auto active =
        static_cast<std::int64_t>(std::count_if(loads.begin(), loads.end(), [](auto n) { return n > 0; }));
    log_verbose("{} T={}: loads max {} min {} avg {:.2f} imbalance {:.2f}x, {} active experts",
                scenario_name(c.scenario), c.num_tokens, load.max_load, load.min_load, load.avg_load,
                load.max_imbalance, active);

    std::vector<MeasuredImpl> measured;
    for (auto& impl : impls) {
      progress.update(fmt::format("[{}/{}] {} {} tokens={}: {} warm-up + {} iterations", ++step, total,
                                  impl_name(impl->kind()), scenario_name(c.scenario), c.num_tokens,
                                  plan.timing.warmup_iters, plan.timing.benchmark_iters));
      impl->prepare(inputs);
      const std::vector<double> samples = backend.time_iterations(*impl, plan.timing, stop);
      if (stop) break;
      MeasuredImpl m{impl->kind(), summarize_latencies(samples), {}};
      // On every node alike: over several nodes, reading the output is a collective.
      if (plan.check || plan.save_tensors.enabled()) m.output = impl->output();
      measured.push_back(std::move(m));
      if (profiler && !stop) {
        progress.update(fmt::format("[{}/{}] {} {} tokens={}: profiled pass", step, total, impl_name(impl->kind()),
                                    scenario_name(c.scenario), c.num_tokens));
        const ProfiledPass pass = profiler->profile(
            c, impl->kind(), plan.timing.benchmark_iters,
            [&](int) {
              impl->run_iteration();
              backend.synchronize();
            },
            [&] { return impl->last_kernel_stages(); });
        if (!pass.path.empty()) log_verbose("trace {}; top by total time:\n{}", pass.path, pass.summary);
      }
    }
    if (stop) break;

    std::vector<ResultRow> rows;
    for (const MeasuredImpl& m : measured)
      rows.push_back(make_row(plan, backend, device, peaks, c, m, loads, load, active));
    if (plan.check && measured.size() == 2) {
      const auto& fused = measured[0].kind == ImplKind::kFused ? measured[0] : measured[1];
      const auto& epmoe = measured[0].kind == ImplKind::kFused ? measured[1] : measured[0];
      const double err = relative_error(fused.output, epmoe.output);
      for (ResultRow& r : rows) r.check_rel_err = err;
      log_verbose("check {} T={}: ||fused - epmoe|| / ||epmoe|| = {:.3e}", scenario_name(c.scenario), c.num_tokens,
                  err);
    }
    progress.clear();
    warn_of_rows_above_roofline(rows, peaks, device.device_count, plan.timing.cold_l2);
    printer.add_case(rows);
    ++outcome.cases_done;
    if (saver) {
      std::vector<ImplOutput> outputs;
      for (const MeasuredImpl& m : measured) outputs.push_back({m.kind, m.output});
      saver->save_case(inputs, routing, outputs);
    }
  }
  progress.clear();
  outcome.interrupted = stop;
  printer.end();
  return outcome;
}

}  // namespace moebench
