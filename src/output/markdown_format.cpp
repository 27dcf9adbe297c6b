// Markdown tables. Speedup = epmoe mean / fused mean (above 1: fused is faster).
#include "output/markdown_format.hpp"

#include <fmt/format.h>
#include <functional>

namespace moebench {

namespace {

std::string column_title(ImplKind kind) { return kind == ImplKind::kFused ? "Fused MoE" : "EP MoE"; }

const ResultRow* find_row(const std::vector<ResultRow>& rows, ImplKind kind) {
  for (const ResultRow& r : rows)
    if (r.implementation == kind) return &r;
  return nullptr;
}

}  // namespace

std::string markdown_header(const RunInfo& info) {
  const BenchmarkPlan& plan = *info.plan;
  const MoeShape& s = plan.problem.shape;
  const Layout& l = plan.problem.layout;
  std::string text = "# MoE Benchmark Results\n";
  text += fmt::format("**Configuration:** {}{}; EP={}, TP={} on {} device(s)\n\n",
                      s.model_name.empty() ? "" : s.model_name + ": ", s.describe(), l.ep_size, l.tp_actual(),
                      l.tp_size);
  text += fmt::format("- Device: {} ({}), {}\n", info.device.backend, info.device.name, info.device.details);
  text += fmt::format("- Router: {}\n", s.router.describe());
  text += fmt::format("- Timing: {} warm-up + {} timed iteration(s){}{}; seed {}\n", plan.timing.warmup_iters,
                      plan.timing.benchmark_iters, plan.timing.cuda_graph ? ", CUDA graph replays" : "",
                      plan.timing.cold_l2 ? ", L2 flushed before each" : "", plan.seed);
  if (info.peaks.valid()) {
    text += fmt::format("- Peaks: {:.1f} GB/s ({}), {:.2f} TFLOP/s ({})\n", info.peaks.bandwidth_gbps,
                        info.peaks.bandwidth_method, info.peaks.tflops, info.peaks.compute_method);
  }
  text += fmt::format("- Command: `{}`\n", plan.command_line);
  return text;
}

std::string markdown_case_table(const std::vector<ResultRow>& rows) {
  if (rows.empty()) return "";
  const BenchCase& c = rows.front().bench_case;
  std::vector<const ResultRow*> columns;
  for (ImplKind kind : {ImplKind::kFused, ImplKind::kEpMoe})
    if (const ResultRow* r = find_row(rows, kind)) columns.push_back(r);
  const ResultRow* fused = find_row(rows, ImplKind::kFused);
  const ResultRow* epmoe = find_row(rows, ImplKind::kEpMoe);

  std::string text = fmt::format("\n## Scenario: {}, Tokens: {}\n\n| Metric |", scenario_name(c.scenario), c.num_tokens);
  std::string rule = "|--------|";
  for (const ResultRow* r : columns) {
    text += fmt::format(" {} |", column_title(r->implementation));
    rule += "-----------|";
  }
  text += fmt::format(" Speedup |\n{}---------|\n", rule);

  auto add = [&](const std::string& metric, const std::function<std::string(const ResultRow&)>& cell,
                 const std::string& speedup) {
    text += fmt::format("| {} |", metric);
    for (const ResultRow* r : columns) text += fmt::format(" {} |", cell(*r));
    text += fmt::format(" {} |\n", speedup);
  };
  const std::string speedup = fused && epmoe && fused->latency.mean_ms > 0
                                  ? fmt::format("{:.2f}x", epmoe->latency.mean_ms / fused->latency.mean_ms)
                                  : "-";
  add("Mean Latency (ms)", [](const ResultRow& r) { return fmt::format("{:.4f}", r.latency.mean_ms); }, speedup);
  add("P50 Latency (ms)", [](const ResultRow& r) { return fmt::format("{:.4f}", r.latency.p50_ms); }, "-");
  add("P95 Latency (ms)", [](const ResultRow& r) { return fmt::format("{:.4f}", r.latency.p95_ms); }, "-");
  add("P99 Latency (ms)", [](const ResultRow& r) { return fmt::format("{:.4f}", r.latency.p99_ms); }, "-");
  add("Std (ms)", [](const ResultRow& r) { return fmt::format("{:.4f}", r.latency.std_ms); }, "-");
  add("Throughput (tok/s)", [](const ResultRow& r) { return fmt::format("{:.1f}", r.throughput_tok_per_sec); }, "-");
  add("Max Imbalance", [](const ResultRow& r) { return fmt::format("{:.2f}x", r.load.max_imbalance); }, "-");
  add("Load max / min / avg",
      [](const ResultRow& r) { return fmt::format("{} / {} / {:.2f}", r.load.max_load, r.load.min_load, r.load.avg_load); },
      "-");
  if (columns.front()->roofline) {
    add("TFLOP/s", [](const ResultRow& r) { return r.roofline ? fmt::format("{:.3f}", r.roofline->tflops) : "-"; }, "-");
    add("% of Roofline", [](const ResultRow& r) {
      return r.roofline && r.roofline->roofline_ms > 0 ? fmt::format("{:.1f}%", r.roofline->pct_of_roofline) : "-";
    }, "-");
  }
  if (columns.front()->check_rel_err) {
    add("Check (rel err)", [](const ResultRow& r) {
      return r.check_rel_err ? fmt::format("{:.2e}", *r.check_rel_err) : "-";
    }, "-");
  }
  return text;
}

}  // namespace moebench
