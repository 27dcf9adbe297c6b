// Flags of `report` and `compare`, and what each does with the runs it reads.
#include "report/tool_commands.hpp"

#include <CLI/CLI.hpp>
#include <cmath>
#include <fmt/format.h>
#include <set>
#include <string_view>

#include "core/errors.hpp"
#include "output/html_report.hpp"
#include "output/results_json.hpp"
#include "platform/file_output.hpp"
#include "report/compare.hpp"
#include "report/results_file.hpp"

namespace moebench {

namespace {

// Parses argv[1..] with `app`; false after printing --help.
bool parse(CLI::App& app, int argc, const char* const* argv, std::FILE* out) {
  try {
    app.parse(argc - 1, argv + 1);
  } catch (const CLI::CallForHelp&) {
    fmt::print(out, "{}", app.help());
    return false;
  } catch (const CLI::ParseError& e) {
    throw UsageError(fmt::format("{} (see {} --help)", e.what(), app.get_name()));
  }
  return true;
}

// Labels from --label in order, the rest from the command lines; repeats get their file name.
void label_runs(std::vector<RunRecord>& runs, const std::vector<std::string>& files,
                const std::vector<std::string>& labels) {
  if (labels.size() > runs.size()) {
    throw UsageError(
        fmt::format("{} --label values for {} run file(s): give at most one per file", labels.size(), runs.size()));
  }
  for (std::size_t i = 0; i < labels.size(); ++i) runs[i].label = labels[i];
  std::multiset<std::string> seen;
  for (const RunRecord& run : runs) seen.insert(run.label);
  for (std::size_t i = 0; i < runs.size(); ++i)
    if (seen.count(runs[i].label) > 1) runs[i].label += fmt::format(" [{}]", files[i]);
}

int run_report(int argc, const char* const* argv, std::FILE* out) {
  CLI::App app("Build the HTML report of saved runs (--output-format json), several overlaid on one chart",
               fmt::format("{} report", kResultsProgram));
  std::vector<std::string> files, labels;
  std::string output;
  app.add_option("runs", files, "Results files of one or several runs")
      ->required()
      ->expected(1, -1)
      ->type_name("RUN.json");
  app.add_option("-o,--output", output, "The HTML file to write")->required()->type_name("PATH");
  app.add_option("--label", labels, "Name of a run in legends, in the order of the files (default: its command line)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->type_name("NAME");
  if (!parse(app, argc, argv, out)) return 0;

  std::vector<RunRecord> runs;
  for (const std::string& f : files) runs.push_back(read_results_file(f));
  label_runs(runs, files, labels);
  const std::string reason = unwritable_reason(output);
  if (!reason.empty()) throw UsageError(fmt::format("cannot write {}: {}", output, reason));
  write_file_atomically(output, html_report(runs));
  std::size_t cases = 0;
  for (const RunRecord& run : runs) cases += run.cases.size();
  fmt::print(out, "wrote {}: {} run(s), {} case(s)\n", output, runs.size(), cases);
  return 0;
}

int run_compare(int argc, const char* const* argv, std::FILE* out) {
  CLI::App app("Compare two saved runs case by case: means, ratio, and whether the difference is beyond noise",
               fmt::format("{} compare", kResultsProgram));
  app.footer(
      fmt::format("A difference is beyond noise when |mean_B - mean_A| > {:g} * sqrt(std_A^2 + std_B^2).\n"
                  "Exit codes: 0 done, 1 a regression (with --fail-on-regression), 2 bad input.",
                  kNoiseSigmas));
  std::vector<std::string> files;
  std::optional<double> threshold;
  app.add_option("runs", files, "A.json (the baseline) and B.json")->required()->expected(2)->type_name("RUN.json");
  app.add_option("--fail-on-regression", threshold,
                 "Exit 1 when a case of B is slower than A by more than PCT percent and beyond noise")
      ->type_name("PCT");
  if (!parse(app, argc, argv, out)) return 0;
  if (threshold && (!std::isfinite(*threshold) || *threshold < 0)) {
    throw UsageError(fmt::format("--fail-on-regression must be a percentage >= 0 (got {})", *threshold));
  }
  const RunRecord a = read_results_file(files[0]);
  const RunRecord b = read_results_file(files[1]);
  const Comparison comparison = compare_runs(a, b, threshold);
  if (comparison.matched.empty()) {
    throw UsageError(
        fmt::format("{}: no case matches one of {} (cases match by scenario, tokens and "
                    "implementation; A has {}, B has {})",
                    files[1], files[0], comparison.only_in_a.size(), comparison.only_in_b.size()));
  }
  fmt::print(out, "{}", format_comparison(comparison, files[0], a, files[1], b));
  return comparison.regressions() > 0 ? 1 : 0;
}

}  // namespace

bool is_tool_command(int argc, const char* const* argv) {
  if (argc < 2) return false;
  const std::string_view command = argv[1];
  return command == "report" || command == "compare";
}

int run_tool_command(int argc, const char* const* argv, std::FILE* out) {
  return std::string_view(argv[1]) == "report" ? run_report(argc, argv, out) : run_compare(argc, argv, out);
}

}  // namespace moebench
