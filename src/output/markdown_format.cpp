// Markdown tables. Speedup = epmoe mean / fused mean (above 1: fused is faster).
#include "output/markdown_format.hpp"

#include <fmt/format.h>

#include "output/result_columns.hpp"

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
  text +=
      fmt::format("**Configuration:** {}{}; EP={}, TP={} on {} device(s)\n\n",
                  s.model_name.empty() ? "" : s.model_name + ": ", s.describe(), l.ep_size, l.tp_actual(), l.tp_size);
  text += fmt::format("- Device: {} ({}), {}\n", info.device.backend, info.device.name, info.device.details);
  text += fmt::format("- Router: {}\n", s.router.describe());
  if (plan.problem.dtype != WeightDtype::kBf16)
    text += fmt::format("- Dtype: {} ({})\n", dtype_name(plan.problem.dtype), dtype_description(plan.problem.dtype));
  text += fmt::format("- Timing: {}; seed {}\n", describe_timing(plan.timing), plan.seed);
  if (info.peaks.valid()) text += fmt::format("- Peaks: {}\n", describe_peaks(info.peaks));
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

  std::string text =
      fmt::format("\n## Scenario: {}, Tokens: {}\n\n| Metric |", scenario_name(c.scenario), c.num_tokens);
  std::string rule = "|--------|";
  for (const ResultRow* r : columns) {
    text += fmt::format(" {} |", column_title(r->implementation));
    rule += "-----------|";
  }
  text += fmt::format(" Speedup |\n{}---------|\n", rule);

  const std::string speedup = fused && epmoe && fused->latency.mean_ms > 0
                                  ? fmt::format("{:.2f}x", epmoe->latency.mean_ms / fused->latency.mean_ms)
                                  : "-";
  // A line of a part the first implementation lacks (no check, no roofline) is left out.
  for (const ViewPlace& place : view_places(&ResultColumn::markdown)) {
    if (!has_part(*columns.front(), place.front()->part)) continue;
    text += fmt::format("| {} |", place_title(place, &ResultColumn::markdown));
    for (const ResultRow* r : columns) text += fmt::format(" {} |", place_text(place, &ResultColumn::markdown, *r));
    text += fmt::format(" {} |\n", place.front()->csv_name == "latency_mean_ms" ? speedup : "-");
  }
  return text;
}

}  // namespace moebench
