// The report's text parts: each run's configuration, and the table of every row.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "output/html_sections.hpp"
#include "output/html_text.hpp"
#include "platform/memory.hpp"

namespace moebench {

namespace {

std::string item(const std::string& term, const std::string& html) {
  return fmt::format("<dt>{}</dt><dd>{}</dd>\n", html_escape(term), html);
}

// SMs, memory and versions where the backend reports them.
std::string device_facts(const DeviceInfo& d) {
  std::vector<std::string> facts;
  if (d.sm_count > 0) facts.push_back(fmt::format("{} SMs", d.sm_count));
  if (d.cpu_threads > 0) facts.push_back(fmt::format("{} thread{}", d.cpu_threads, d.cpu_threads == 1 ? "" : "s"));
  if (d.memory_bytes > 0) facts.push_back(format_bytes(static_cast<double>(d.memory_bytes)));
  if (!d.compute_capability.empty()) facts.push_back("compute capability " + d.compute_capability);
  if (!d.driver_cuda_version.empty()) facts.push_back("driver CUDA " + d.driver_cuda_version);
  if (!d.cuda_runtime_version.empty()) facts.push_back("runtime " + d.cuda_runtime_version);
  facts.push_back("NCCL " + d.nccl_version);
  return fmt::format("{}", fmt::join(facts, ", "));
}

std::string cell(const std::string& text, bool numeric = true) {
  return fmt::format("<td{}>{}</td>", numeric ? " class=\"num\"" : "", html_escape(text));
}

std::string optional_cell(bool present, double value, const char* format_spec) {
  return cell(present ? fmt::format(fmt::runtime(format_spec), value) : "-");
}

}  // namespace

std::string run_configuration_html(const RunRecord& run) {
  std::string out;
  if (!run.complete()) {
    out += fmt::format(
        "<p class=\"partial\">Partial: {} of {} case(s) finished (the run was interrupted, failed, or "
        "is still running).</p>\n",
        run.cases.size(), run.cases_planned);
  }
  out += "<dl class=\"meta\">\n";
  out += item("Command", fmt::format("<code>{}</code>", html_escape(run.command_line)));
  out += item("Program", html_escape(fmt::format("bench_fused_vs_epmoe {}", run.version)));
  out += item("Hosts", html_escape(fmt::format("{}", fmt::join(run.hosts, ", "))));
  const ModelSummary& m = run.model;
  out += item("Model", html_escape((m.name.empty() ? "manual config: " : m.name + ": ") + m.description));
  out += item("Router", html_escape(m.router));
  // The rows' dtype ("bf16", "f32", "fp8-b128"): the same in every row of a run.
  if (!run.cases.empty()) out += item("Dtype", html_escape(run.cases.front().rows.front().dtype));
  out += item("Layout", html_escape(fmt::format("EP={} x TP={} on {} device(s), {} node(s)", run.layout.ep_size,
                                                run.layout.tp_actual(), run.layout.tp_size, run.layout.nnodes)));
  out += item("Device", html_escape(fmt::format("{}: {} x{} ({})", run.device.backend, run.device.name,
                                                run.device.device_count, run.device.details)));
  out += item("Device facts", html_escape(device_facts(run.device)));
  out += item("Peaks", html_escape(run.peaks.valid() ? describe_peaks(run.peaks) : std::string("not measured")));
  out += item("Timing", html_escape(fmt::format("{}; seed {}", describe_timing(run.timing), run.seed)));
  std::vector<std::string_view> scenarios, impls;
  for (Scenario s : run.scenarios) scenarios.emplace_back(scenario_name(s));
  for (ImplKind k : run.implementations) impls.emplace_back(impl_name(k));
  out += item("Cases", html_escape(fmt::format("scenarios {}; tokens {}; implementations {}; imbalance factor {}; "
                                               "check {}; {} of {} finished",
                                               fmt::join(scenarios, ", "), fmt::join(run.token_counts, ", "),
                                               fmt::join(impls, ", "), run.imbalance_factor, run.check ? "on" : "off",
                                               run.cases.size(), run.cases_planned)));
  return out + "</dl>\n";
}

std::string results_table_html(const std::vector<RunRecord>& runs) {
  const bool labels = runs.size() > 1;
  std::string out = "<div class=\"table-wrap\">\n<table id=\"results-table\">\n<thead><tr>";
  if (labels) out += "<th>run</th>";
  out += "<th>scenario</th><th class=\"num\">tokens</th><th>impl</th>";
  for (const char* h : {"mean ms", "std ms",      "p50 ms",     "p95 ms",     "p99 ms",        "min ms", "max ms",
                        "tok/s",   "max load",    "min load",   "avg load",   "imbalance",     "check",  "TFLOP/s",
                        "GB/s",    "roofline ms", "% roofline", "comm bytes", "comm floor ms", "% bound"}) {
    out += fmt::format("<th class=\"num\">{}</th>", h);
  }
  out += "</tr></thead>\n<tbody>\n";
  for (const RunRecord& run : runs) {
    for (const CaseRecord& c : run.cases) {
      for (const ResultRow& r : c.rows) {
        const LatencyStats& l = r.latency;
        const bool roof = r.roofline.has_value();
        const bool ceiling = roof && r.roofline->roofline_ms > 0;
        const bool comm = r.comm.has_value();
        out += "<tr>";
        if (labels) out += cell(run.label, false);
        out += cell(std::string(scenario_name(c.bench_case.scenario)), false) +
               cell(fmt::format("{}", c.bench_case.num_tokens)) + cell(std::string(impl_name(r.implementation)), false);
        for (double v : {l.mean_ms, l.std_ms, l.p50_ms, l.p95_ms, l.p99_ms, l.min_ms, l.max_ms}) {
          out += cell(fmt::format("{:.4f}", v));
        }
        out += cell(fmt::format("{:.1f}", r.throughput_tok_per_sec)) + cell(fmt::format("{}", r.load.max_load)) +
               cell(fmt::format("{}", r.load.min_load)) + cell(fmt::format("{:.2f}", r.load.avg_load)) +
               cell(fmt::format("{:.2f}x", r.load.max_imbalance)) +
               optional_cell(r.check_rel_err.has_value(), r.check_rel_err.value_or(0), "{:.2e}") +
               optional_cell(roof, roof ? r.roofline->tflops : 0, "{:.3f}") +
               optional_cell(roof, roof ? r.roofline->hbm_gbps : 0, "{:.1f}") +
               optional_cell(ceiling, ceiling ? r.roofline->roofline_ms : 0, "{:.4f}") +
               optional_cell(ceiling, ceiling ? r.roofline->pct_of_roofline : 0, "{:.1f}") +
               optional_cell(comm, comm ? static_cast<double>(r.comm->bytes) : 0, "{:.0f}") +
               optional_cell(comm, comm ? r.comm->floor_ms : 0, "{:.4f}") +
               optional_cell(comm, comm ? r.comm->pct_of_bound : 0, "{:.1f}");
        out += "</tr>\n";
      }
    }
  }
  return out + "</tbody>\n</table>\n</div>\n";
}

}  // namespace moebench
