// Hand-made runs for the tests of the JSON, HTML and compare code: known numbers, no benchmark.
#pragma once

#include <cmath>
#include <vector>

#include "output/run_record.hpp"

namespace moebench::samples {

// A row whose latencies are `mean` with spread `std`, and the case's expert loads.
inline ResultRow row(Scenario scenario, std::int64_t tokens, ImplKind kind, double mean, double std = 0.01) {
  ResultRow r;
  r.implementation = kind;
  r.bench_case = {scenario, tokens};
  r.num_experts = 8;
  r.top_k = 2;
  r.latency = {10, mean, std, mean * 0.99, mean * 1.03, mean * 1.05, mean * 0.97, mean * 1.06};
  r.expert_loads = {tokens / 2, tokens / 4, tokens / 4, tokens / 8, tokens / 8, tokens / 8, tokens / 8, tokens / 2};
  r.load = {tokens / 2, tokens / 8, tokens * 2 / 8.0, 2.0};
  r.throughput_tok_per_sec = tokens / (mean / 1000);
  r.device = "cpu:Test CPU";
  r.dtype = "f32";
  r.check_rel_err = 1.5e-7;
  r.roofline = RooflineMetrics{0.5, 12.0, mean / 2, 50.0};
  return r;
}

// A finished run: the scenarios x token counts x implementations given, fused at `fused_ms` per
// 1024 tokens and epmoe at `epmoe_ms`, both scaling linearly with the token count.
inline RunRecord run(std::vector<Scenario> scenarios, std::vector<std::int64_t> tokens,
                     std::vector<ImplKind> impls = {ImplKind::kFused, ImplKind::kEpMoe}, double fused_ms = 2.0,
                     double epmoe_ms = 3.0) {
  RunRecord run;
  run.version = "0.1.0+test";
  run.command_line = "/opt/moebench/bench_fused_vs_epmoe --num-experts 8 --output-format json";
  run.label = "bench_fused_vs_epmoe --num-experts 8 --output-format json";
  run.hosts = {"testhost"};
  run.seed = 42;
  run.model = ModelSummary{
      "", 8, 2, 64, 96, "silu", "softmax, renormalized", "8 experts, top-2, hidden 64, intermediate 96, silu"};
  run.device.backend = "cpu";
  run.device.name = "Test CPU";
  run.device.details = "2 threads, 1 simulated device(s)";
  run.device.cpu_threads = 2;
  run.device.memory_bytes = 1ull << 34;
  run.peaks = DevicePeaks{30.0, 0.2, "copy of 256 MiB", "SGEMM 2048^3"};
  run.timing = TimingConfig{1, 10, false, false};
  run.scenarios = scenarios;
  run.token_counts = tokens;
  run.implementations = impls;
  run.imbalance_factor = 3.0;
  run.check = true;
  for (Scenario s : scenarios) {
    for (std::int64_t t : tokens) {
      CaseRecord c{{s, t}, {}};
      for (ImplKind k : impls) c.rows.push_back(row(s, t, k, (k == ImplKind::kFused ? fused_ms : epmoe_ms) * t / 1024));
      run.cases.push_back(std::move(c));
    }
  }
  run.cases_planned = static_cast<int>(run.cases.size());
  return run;
}

}  // namespace moebench::samples
