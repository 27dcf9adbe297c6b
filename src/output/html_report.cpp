// The report document: head with the inline stylesheet and a policy that forbids every fetch,
// then configuration, one section per scenario, the full table.
#include "output/html_report.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "output/html_sections.hpp"
#include "output/html_text.hpp"

namespace moebench {

namespace {

// Scenarios in the order the runs list them, each once.
std::vector<Scenario> report_scenarios(const std::vector<RunRecord>& runs) {
  std::vector<Scenario> out;
  for (const RunRecord& run : runs)
    for (const CaseRecord& c : run.cases)
      if (std::find(out.begin(), out.end(), c.bench_case.scenario) == out.end()) out.push_back(c.bench_case.scenario);
  return out;
}

std::string title_of(const std::vector<RunRecord>& runs) {
  if (runs.size() > 1) return fmt::format("moebench report: {} runs", runs.size());
  const ModelSummary& m = runs.front().model;
  return fmt::format("moebench: {}", m.name.empty() ? m.description : m.name);
}

std::string subtitle_of(const std::vector<RunRecord>& runs) {
  const RunRecord& run = runs.front();
  if (runs.size() > 1) return "Runs overlaid: each run keeps its dash pattern and marker shape in every chart.";
  return fmt::format("fused vs epmoe MoE layer: {}; EP={} x TP={}; {} ({})", run.model.description, run.layout.ep_size,
                     run.layout.tp_actual(), run.device.name, run.device.backend);
}

std::string configuration_section(const std::vector<RunRecord>& runs) {
  std::string out = "<section id=\"configuration\">\n<h2>Configuration</h2>\n";
  for (const RunRecord& run : runs) {
    if (runs.size() > 1) out += fmt::format("<h3>{}</h3>\n", html_escape(run.label));
    out += run_configuration_html(run);
  }
  return out + "</section>\n";
}

}  // namespace

std::string html_report(const std::vector<RunRecord>& runs) {
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      // Nothing may be fetched: the file must read the same offline and years later.
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
      "<meta name=\"generator\" content=\"bench_fused_vs_epmoe {}\">\n"
      "<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n",
      html_escape(runs.front().version), html_escape(title_of(runs)), report_css());
  out += fmt::format("<header>\n<h1>{}</h1>\n<p class=\"subtitle\">{}</p>\n</header>\n", html_escape(title_of(runs)),
                     html_escape(subtitle_of(runs)));
  out += configuration_section(runs);
  const std::vector<Scenario> scenarios = report_scenarios(runs);
  if (scenarios.empty()) out += "<p class=\"note\">No case has finished yet.</p>\n";
  for (Scenario s : scenarios) out += scenario_section_html(s, runs);
  out += "<section id=\"results\">\n<h2>All results</h2>\n" + results_table_html(runs) + "</section>\n";
  out += fmt::format(
      "<footer>Written by bench_fused_vs_epmoe {}. Self-contained: inline CSS and SVG, no scripts, "
      "nothing fetched. Metrics: docs/metrics.md.</footer>\n</main>\n</body>\n</html>\n",
      html_escape(runs.front().version));
  return out;
}

}  // namespace moebench
