// The benchmark loop.
#include "runner/benchmark_runner.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>

#include "core/comm_bound.hpp"
#include "core/log.hpp"
#include "core/reference.hpp"
#include "core/statistics.hpp"
#include "platform/host_name.hpp"
#include "platform/memory.hpp"
#include "platform/version.hpp"
#include "profile/profiler.hpp"

namespace moebench {

namespace {

struct MeasuredImpl {
  ImplKind kind;
  LatencyStats latency;
  std::vector<float> output;  // only with --check or --save-tensors
};

// Multi-device rows with a measured link: the bytes this implementation's exchange must move over
// the busiest device's link for this routing, and the row against max(roofline, that floor).
std::optional<CommBound> row_comm_bound(const Problem& p, ImplKind impl, const Routing& routing,
                                        const DevicePeaks& peaks, double roofline_ms, double mean_ms) {
  if (p.layout.tp_size < 2 || peaks.link_gbps <= 0) return std::nullopt;
  const ExchangeWire wire = exchange_wire(impl, p.dtype, p.shape.hidden_size);
  const std::int64_t bytes = comm_bytes(link_traffic(p.mesh(), routing.expert_ids, routing.top_k, wire));
  return comm_bound(bytes, p.layout.tp_size, peaks.link_gbps, roofline_ms, mean_ms);
}

ResultRow make_row(const BenchmarkPlan& plan, const Backend& backend, const DeviceInfo& device,
                   const DevicePeaks& peaks, const BenchCase& c, const MeasuredImpl& m, const Routing& routing,
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
  const TrafficModel traffic = backend.traffic_model(p.dtype);
  row.dtype = p.dtype == WeightDtype::kFp8Block128 ? kFp8Block128RowName : traffic.weight_bytes == 2 ? "bf16" : "f32";
  row.roofline =
      roofline_metrics(layer_flops(p.shape, c.num_tokens), layer_bytes(p.shape, c.num_tokens, active_experts, traffic),
                       m.latency.mean_ms, peaks_for_dtype(peaks, p.dtype), device.device_count);
  row.comm = row_comm_bound(p, m.kind, routing, peaks, row.roofline->roofline_ms, m.latency.mean_ms);
  return row;
}

// --verbose --dtype fp8: how far the fp8 layer lands from the bf16 layer of the same seed, over the
// case's first tokens (against bf16's float64 reference): what FP8 costs in accuracy, not a check.
void log_fp8_vs_bf16(const MoeShape& shape, const CaseInputs& inputs, const Routing& routing, const EpWeights& bf16,
                     const std::vector<float>& fp8_output) {
  const std::int64_t n = std::min<std::int64_t>(routing.num_tokens, 8), H = shape.hidden_size;
  Routing first = routing;
  first.num_tokens = n;
  first.expert_ids.resize(static_cast<std::size_t>(n * routing.top_k));
  first.weights.resize(first.expert_ids.size());
  const std::vector<double> exact = reference_moe(
      std::span(inputs.hidden_states).first(static_cast<std::size_t>(n * H)), first, bf16, shape.activation);
  const double err = relative_error(std::span(fp8_output).first(static_cast<std::size_t>(n * H)), exact);
  log_verbose("fp8 vs bf16 {} T={}: ||out_fp8 - out_bf16|| / ||out_bf16|| = {:.3e} over the first {} token(s)",
              scenario_name(inputs.bench_case.scenario), routing.num_tokens, err, n);
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
  // Kept for --verbose --dtype fp8's comparison with the bf16 layer: host memory the creation of
  // the implementations needed anyway.
  std::optional<EpWeights> bf16_weights;
  {
    EpWeights weights = generate_ep_weights(shape, plan.seed);
    if (saver) {
      progress.clear();
      saver->save_weights(weights);
    }
    for (ImplKind kind : plan.implementations) {
      progress.update(fmt::format("preparing {} weights", impl_name(kind)));
      impls.push_back(backend.create(kind, plan.problem, weights));
    }
    if (plan.verbose && plan.problem.dtype == WeightDtype::kFp8Block128) bf16_weights = std::move(weights);
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
      if (bf16_weights && impl == impls.front()) log_fp8_vs_bf16(shape, inputs, routing, *bf16_weights, impl->output());
      if (const auto bytes = impl->last_exchange_bytes(); bytes && plan.problem.layout.tp_size > 1) {
        log_verbose("{} {} T={}: the dispatch moved {} and the combine {} between devices in one iteration",
                    impl_name(impl->kind()), scenario_name(c.scenario), c.num_tokens,
                    format_bytes(static_cast<double>(bytes->dispatch)),
                    format_bytes(static_cast<double>(bytes->combine)));
      }
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
      rows.push_back(make_row(plan, backend, device, peaks, c, m, routing, loads, load, active));
    if (plan.check && measured.size() == 2) {
      const auto& fused = measured[0].kind == ImplKind::kFused ? measured[0] : measured[1];
      const auto& epmoe = measured[0].kind == ImplKind::kFused ? measured[1] : measured[0];
      const double err = relative_error(fused.output, epmoe.output);
      for (ResultRow& r : rows) r.check_rel_err = err;
      log_verbose("check {} T={}: ||fused - epmoe|| / ||epmoe|| = {:.3e}", scenario_name(c.scenario), c.num_tokens,
                  err);
    }
    progress.clear();
    warn_of_rows_above_roofline(rows, peaks_for_dtype(peaks, plan.problem.dtype), device.device_count,
                                plan.timing.cold_l2);
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
