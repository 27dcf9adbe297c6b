// The charts of one scenario, built from the runs' rows: latency (mean, p50 to p95), speedup,
// percent of roofline, and the per-expert loads of the scenario's largest case.
#include <algorithm>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "output/html_sections.hpp"
#include "output/html_text.hpp"
#include "output/svg_histogram.hpp"
#include "output/svg_line_chart.hpp"
#include "output/svg_plot.hpp"

namespace moebench {

namespace {

// Okabe-Ito colours: distinct for colour-blind readers and in greyscale print.
const char* impl_color(ImplKind kind) { return kind == ImplKind::kFused ? "#0072B2" : "#D55E00"; }
const char* run_color(std::size_t run) {
  constexpr const char* kColors[] = {"#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#000000"};
  return kColors[run % 5];
}

// The run's cases of one scenario, by increasing token count.
std::vector<const CaseRecord*> scenario_cases(const RunRecord& run, Scenario scenario) {
  std::vector<const CaseRecord*> out;
  for (const CaseRecord& c : run.cases)
    if (c.bench_case.scenario == scenario) out.push_back(&c);
  std::sort(out.begin(), out.end(),
            [](auto* a, auto* b) { return a->bench_case.num_tokens < b->bench_case.num_tokens; });
  return out;
}

std::string series_label(const std::vector<RunRecord>& runs, const RunRecord& run, std::string_view what) {
  return runs.size() > 1 ? fmt::format("{} · {}", run.label, what) : std::string(what);
}

std::string figure(const std::string& caption, const std::string& body) {
  return fmt::format("<figure>\n<figcaption>{}</figcaption>\n{}</figure>\n", html_escape(caption), body);
}

std::string chart_figure(const std::string& caption, const LineChart& chart, const std::string& note) {
  return figure(caption, render_line_chart(chart) + render_legend(chart.series) + note);
}

// A series per (run, implementation) with at least one point; `value` maps a row to its point, or
// to nothing where the row has none to give.
template <typename Value>
LineChart per_impl_chart(Scenario scenario, const std::vector<RunRecord>& runs, Value value) {
  LineChart chart;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    for (ImplKind kind : {ImplKind::kFused, ImplKind::kEpMoe}) {
      ChartSeries s{series_label(runs, runs[i], impl_name(kind)), impl_color(kind), static_cast<int>(i), {}};
      for (const CaseRecord* c : scenario_cases(runs[i], scenario)) {
        const ResultRow* r = c->row(kind);
        if (r == nullptr) continue;
        if (auto point = value(*r)) s.points.push_back(*point);
      }
      if (!s.points.empty()) chart.series.push_back(std::move(s));
    }
  }
  return chart;
}

std::string latency_figure(Scenario scenario, const std::vector<RunRecord>& runs) {
  LineChart chart = per_impl_chart(scenario, runs, [](const ResultRow& r) -> std::optional<ChartPoint> {
    const LatencyStats& l = r.latency;
    return ChartPoint{
        static_cast<double>(r.bench_case.num_tokens), l.mean_ms, l.p50_ms, l.p95_ms,
        fmt::format("{}, {} tokens: mean {} ms, p50 {}, p95 {}, std {} ({} iterations)", impl_name(r.implementation),
                    r.bench_case.num_tokens, format_significant(l.mean_ms, 4), format_significant(l.p50_ms, 4),
                    format_significant(l.p95_ms, 4), format_significant(l.std_ms, 3), l.count)};
  });
  chart.kind = "latency";
  chart.description = fmt::format("Latency against tokens, {} scenario, log-log", scenario_name(scenario));
  chart.y_title = "latency (ms)";
  chart.log_y = true;
  return chart_figure("Latency against tokens (log-log): mean, band and bars from p50 to p95", chart, "");
}

std::string speedup_figure(Scenario scenario, const std::vector<RunRecord>& runs) {
  LineChart chart;
  std::vector<std::string> without;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    ChartSeries s{series_label(runs, runs[i], "epmoe / fused"), run_color(i), static_cast<int>(i), {}};
    for (const CaseRecord* c : scenario_cases(runs[i], scenario)) {
      const ResultRow* fused = c->row(ImplKind::kFused);
      const ResultRow* epmoe = c->row(ImplKind::kEpMoe);
      if (!fused || !epmoe || fused->latency.mean_ms <= 0) continue;
      const double speedup = epmoe->latency.mean_ms / fused->latency.mean_ms;
      s.points.push_back({static_cast<double>(c->bench_case.num_tokens), speedup, std::nullopt, std::nullopt,
                          fmt::format("{} tokens: epmoe {} ms / fused {} ms = {:.2f}x", c->bench_case.num_tokens,
                                      format_significant(epmoe->latency.mean_ms, 4),
                                      format_significant(fused->latency.mean_ms, 4), speedup)});
    }
    if (s.points.empty()) without.push_back(runs.size() > 1 ? runs[i].label : "This run");
    else chart.series.push_back(std::move(s));
  }
  const std::string caption = "Speedup = epmoe mean / fused mean (above 1: fused is faster)";
  std::string note;
  if (!without.empty()) {
    note = fmt::format(
        "<p class=\"note\">{} ran only one implementation in this scenario: no speedup to draw "
        "(it needs both fused and epmoe).</p>\n",
        html_escape(fmt::format("{}", fmt::join(without, ", "))));
  }
  if (chart.series.empty()) return figure(caption, note);
  chart.kind = "speedup";
  chart.description = fmt::format("Speedup of fused over epmoe against tokens, {} scenario", scenario_name(scenario));
  chart.y_title = "epmoe / fused";
  chart.reference_y = 1.0;
  chart.reference_label = "equal";
  return chart_figure(caption, chart, note);
}

std::string roofline_figure(Scenario scenario, const std::vector<RunRecord>& runs) {
  LineChart chart = per_impl_chart(scenario, runs, [](const ResultRow& r) -> std::optional<ChartPoint> {
    if (!r.roofline || r.roofline->roofline_ms <= 0) return std::nullopt;
    return ChartPoint{static_cast<double>(r.bench_case.num_tokens), r.roofline->pct_of_roofline, std::nullopt,
                      std::nullopt,
                      fmt::format("{}, {} tokens: {:.1f}% of roofline ({} ms at the roofline)",
                                  impl_name(r.implementation), r.bench_case.num_tokens, r.roofline->pct_of_roofline,
                                  format_significant(r.roofline->roofline_ms, 4))};
  });
  const std::string caption = "Percent of roofline: roofline time / measured mean (docs/metrics.md)";
  if (chart.series.empty()) {
    return figure(caption, "<p class=\"note\">No percent of roofline: the run measured no device peaks.</p>\n");
  }
  chart.kind = "roofline";
  chart.description = fmt::format("Percent of roofline against tokens, {} scenario", scenario_name(scenario));
  chart.y_title = "% of roofline";
  chart.y_from_zero = true;
  chart.reference_y = 100.0;
  chart.reference_label = "roofline";
  return chart_figure(caption, chart, "");
}

// The largest case of the scenario in each run; a run whose loads repeat an earlier one's is skipped.
std::string load_figures(Scenario scenario, const std::vector<RunRecord>& runs) {
  std::string out;
  std::vector<const CaseRecord*> shown;
  for (const RunRecord& run : runs) {
    const auto cases = scenario_cases(run, scenario);
    if (cases.empty()) continue;
    const CaseRecord& c = *cases.back();
    const bool repeat = std::any_of(shown.begin(), shown.end(), [&](const CaseRecord* s) {
      return s->bench_case.num_tokens == c.bench_case.num_tokens && s->expert_loads() == c.expert_loads();
    });
    if (repeat || c.expert_loads().empty()) continue;
    shown.push_back(&c);
    const LoadStats& load = c.rows.front().load;
    const std::string caption = fmt::format(
        "{}Tokens per expert, {} tokens: max {}, min {}, average {} ({:.2f}x)", runs.size() > 1 ? run.label + ": " : "",
        c.bench_case.num_tokens, load.max_load, load.min_load, value_label(load.avg_load), load.max_imbalance);
    out += figure(caption, render_load_histogram({fmt::format("Tokens routed to each expert, {} scenario, {} tokens",
                                                              scenario_name(scenario), c.bench_case.num_tokens),
                                                  c.expert_loads(), load.avg_load, "#6a8caf"}));
  }
  return out;
}

}  // namespace

std::string scenario_section_html(Scenario scenario, const std::vector<RunRecord>& runs) {
  const std::string name(scenario_name(scenario));
  return fmt::format(
      "<section class=\"scenario\" id=\"scenario-{0}\">\n<h2>Scenario: {0}</h2>\n<div class=\"charts\">\n"
      "{1}{2}{3}{4}</div>\n</section>\n",
      name, latency_figure(scenario, runs), speedup_figure(scenario, runs), roofline_figure(scenario, runs),
      load_figures(scenario, runs));
}

}  // namespace moebench
