// Case matching, the noise rule and the comparison table.
#include "report/compare.hpp"

#include <cmath>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace moebench {

namespace {

std::string case_name(const BenchCase& c, ImplKind kind) {
  return fmt::format("{} {} {}", scenario_name(c.scenario), c.num_tokens, impl_name(kind));
}

const ResultRow* find_row(const RunRecord& run, const BenchCase& c, ImplKind kind) {
  for (const CaseRecord& record : run.cases)
    if (record.bench_case.scenario == c.scenario && record.bench_case.num_tokens == c.num_tokens)
      return record.row(kind);
  return nullptr;
}

CaseComparison compare_case(const ResultRow& a, const ResultRow& b, std::optional<double> threshold_pct) {
  CaseComparison c;
  c.bench_case = a.bench_case;
  c.implementation = a.implementation;
  c.a = a.latency;
  c.b = b.latency;
  c.ratio = a.latency.mean_ms > 0 ? b.latency.mean_ms / a.latency.mean_ms : NAN;
  c.change_pct = 100.0 * (c.ratio - 1.0);
  c.noise_ms = kNoiseSigmas * std::hypot(a.latency.std_ms, b.latency.std_ms);
  c.beyond_noise = std::fabs(b.latency.mean_ms - a.latency.mean_ms) > c.noise_ms;
  c.regression = threshold_pct && c.beyond_noise && c.change_pct > *threshold_pct;
  return c;
}

std::vector<std::string> configuration_differences(const RunRecord& a, const RunRecord& b) {
  std::vector<std::string> out;
  if (a.model.description != b.model.description || a.model.router != b.model.router) out.emplace_back("model");
  if (a.layout.ep_size != b.layout.ep_size || a.layout.tp_size != b.layout.tp_size ||
      a.layout.nnodes != b.layout.nnodes)
    out.emplace_back("layout");
  if (a.device.backend != b.device.backend || a.device.name != b.device.name ||
      a.device.sm_count != b.device.sm_count || a.device.cpu_threads != b.device.cpu_threads ||
      a.device.memory_bytes != b.device.memory_bytes)
    out.emplace_back("device");
  if (a.timing.warmup_iters != b.timing.warmup_iters || a.timing.benchmark_iters != b.timing.benchmark_iters ||
      a.timing.cuda_graph != b.timing.cuda_graph || a.timing.cold_l2 != b.timing.cold_l2 ||
      (a.timing.cold_l2 && a.timing.l2_flush != b.timing.l2_flush))
    out.emplace_back("timing");
  if (a.seed != b.seed) out.emplace_back("seed");
  if (a.version != b.version) out.emplace_back("program version");
  return out;
}

std::string verdict(const CaseComparison& c) {
  if (c.regression) return "REGRESSION";
  if (!c.beyond_noise) return "within noise";
  return c.ratio > 1 ? "slower" : "faster";
}

std::string run_line(const char* which, const std::string& name, const RunRecord& run) {
  return fmt::format("# {}: {}: {} ({} {}, {})\n", which, name, run.label, run.device.backend, run.device.name,
                     run.version);
}

}  // namespace

int Comparison::regressions() const {
  int n = 0;
  for (const CaseComparison& c : matched) n += c.regression ? 1 : 0;
  return n;
}

Comparison compare_runs(const RunRecord& a, const RunRecord& b, std::optional<double> fail_on_regression_pct) {
  Comparison out;
  out.threshold_pct = fail_on_regression_pct;
  out.differences = configuration_differences(a, b);
  for (const CaseRecord& c : a.cases) {
    for (const ResultRow& r : c.rows) {
      const ResultRow* other = find_row(b, c.bench_case, r.implementation);
      if (other) out.matched.push_back(compare_case(r, *other, fail_on_regression_pct));
      else out.only_in_a.push_back(case_name(c.bench_case, r.implementation));
    }
  }
  for (const CaseRecord& c : b.cases)
    for (const ResultRow& r : c.rows)
      if (!find_row(a, c.bench_case, r.implementation))
        out.only_in_b.push_back(case_name(c.bench_case, r.implementation));
  return out;
}

std::string format_comparison(const Comparison& cmp, const std::string& name_a, const RunRecord& a,
                              const std::string& name_b, const RunRecord& b) {
  std::string out = run_line("A", name_a, a) + run_line("B", name_b, b);
  if (!cmp.differences.empty()) {
    out += fmt::format("# note: A and B differ in {}\n", fmt::join(cmp.differences, ", "));
  }
  out += fmt::format("# beyond noise: |B - A| > {:g} * sqrt(std_A^2 + std_B^2)", kNoiseSigmas);
  if (cmp.threshold_pct)
    out += fmt::format("; REGRESSION: beyond noise and B slower by more than {:g}%", *cmp.threshold_pct);
  out += fmt::format("\n#\n# {:>10} {:>7} {:>6} {:>11} {:>11} {:>7} {:>8} {:>10}  {}\n", "scenario", "tokens", "impl",
                     "A_mean_ms", "B_mean_ms", "B/A", "change", "noise_ms", "verdict");
  int slower = 0, faster = 0;
  for (const CaseComparison& c : cmp.matched) {
    out += fmt::format("  {:>10} {:>7} {:>6} {:>11.4f} {:>11.4f} {:>7.3f} {:>+7.1f}% {:>10.4f}  {}\n",
                       scenario_name(c.bench_case.scenario), c.bench_case.num_tokens, impl_name(c.implementation),
                       c.a.mean_ms, c.b.mean_ms, c.ratio, c.change_pct, c.noise_ms, verdict(c));
    if (c.beyond_noise && c.ratio > 1) ++slower;
    if (c.beyond_noise && c.ratio < 1) ++faster;
  }
  for (const std::string& name : cmp.only_in_a) out += fmt::format("# only in A, not compared: {}\n", name);
  for (const std::string& name : cmp.only_in_b) out += fmt::format("# only in B, not compared: {}\n", name);
  out += fmt::format("# {} matching case(s): {} slower, {} faster, {} within noise", cmp.matched.size(), slower, faster,
                     cmp.matched.size() - slower - faster);
  if (cmp.threshold_pct) out += fmt::format("; {} regression(s) beyond {:g}%", cmp.regressions(), *cmp.threshold_pct);
  return out + "\n";
}

}  // namespace moebench
