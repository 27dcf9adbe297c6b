// bench_fused_vs_epmoe: parse, validate, pick the backend, run, print. Exit codes: 0 done,
// 1 failed while running (results so far kept), 2 bad input (nothing written), 130/143 interrupted.
// `report` and `compare` work on saved runs instead (src/report/tool_commands.hpp); compare exits
// 1 for a regression.
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>

#include "cli/options.hpp"
#include "cli/validate.hpp"
#include "core/errors.hpp"
#include "core/log.hpp"
#include "model/model_list.hpp"
#include "output/printer.hpp"
#include "platform/interrupt.hpp"
#include "report/tool_commands.hpp"
#include "runner/backend_factory.hpp"
#include "runner/benchmark_runner.hpp"
#include "runner/guarded_printer.hpp"

namespace {

int fail(int code, const std::string& message) {
  std::fflush(stdout);
  fmt::print(stderr, "bench_fused_vs_epmoe: error: {}\n", message);
  return code;
}

std::unique_ptr<moebench::ResultPrinter> make_printers(const moebench::BenchmarkPlan& plan) {
  auto printers = std::make_unique<moebench::PrinterMultiplex>();
  printers->add(moebench::make_console_printer(stdout));
  // With several nodes, node 0 writes the files; every node prints the table.
  if (plan.problem.layout.node_rank != 0) return printers;
  if (plan.output.csv) printers->add(moebench::make_csv_printer(plan.output.csv_path()));
  if (plan.output.markdown) printers->add(moebench::make_markdown_printer(plan.output.markdown_path()));
  if (plan.output.json) printers->add(moebench::make_json_printer(plan.output.json_path()));
  if (plan.output.html) printers->add(moebench::make_html_printer(plan.output.html_path()));
  return printers;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace moebench;
  if (is_tool_command(argc, argv)) {
    try {
      return run_tool_command(argc, argv, stdout);
    } catch (const UsageError& e) {
      return fail(kExitUsage, e.what());
    } catch (const std::exception& e) {
      return fail(kExitRunFailure, e.what());
    }
  }
  const ParsedCommandLine parsed = parse_command_line(argc, argv);
  if (parsed.exit_now) {
    if (parsed.exit_code == 0) {
      fmt::print("{}", parsed.message);
      return 0;
    }
    return fail(parsed.exit_code, parsed.message);
  }
  set_verbose(parsed.options.verbose);
  if (parsed.options.list_models) {
    fmt::print("{}", format_model_list());
    return 0;
  }

  BenchmarkPlan plan;
  std::unique_ptr<multinode::Rendezvous> rendezvous;  // multi-node only; outlives the backend
  std::unique_ptr<Backend> backend;
  try {
    plan = build_plan(parsed.options, process_environment());
    backend = select_backend(plan, rendezvous);
  } catch (const UsageError& e) {
    return fail(kExitUsage, e.what());
  } catch (const RunError& e) {
    return fail(kExitRunFailure, e.what());
  }

  ProgressLine progress(stderr, plan.verbose);
  try {
    // SIGINT/SIGTERM from here on: the run stops within a second with its finished cases written.
    InterruptGuard interrupts(static_cast<int>(plan.cases().size()));
    const std::unique_ptr<ResultPrinter> printers = guard_printer(interrupts, make_printers(plan));
    // Like the output files, the tensors are node 0's to write.
    std::unique_ptr<TensorSaver> saver;
    if (plan.save_tensors.enabled() && plan.problem.layout.node_rank == 0)
      saver = std::make_unique<TensorSaver>(plan, &interrupts);
    const RunOutcome outcome = run_benchmark(plan, *backend, *printers, progress, interrupts.stop_flag(), saver.get());
    interrupts.disarm();
    if (rendezvous && !outcome.interrupted) rendezvous->finish();
    if (outcome.interrupted) {
      fmt::print(stderr, "bench_fused_vs_epmoe: {}\n",
                 interrupted_message(interrupts.signal_number(), outcome.cases_done, outcome.cases_planned));
      return 128 + interrupts.signal_number();
    }
    // A tensor file that could not be written said so when it failed; every other output is whole.
    if (saver && saver->failed()) return kExitRunFailure;
  } catch (const UsageError& e) {
    // Bad input found once the run started (an implementation's own settings): the cases
    // finished so far are written; the exit code is the usage one.
    progress.clear();
    return fail(kExitUsage, e.what());
  } catch (const DeviceStuckError& e) {
    progress.clear();
    fail(kExitRunFailure, e.what());
    std::fflush(stderr);
    std::_Exit(kExitRunFailure);  // destructors would wait on the stuck GPU forever
  } catch (const std::exception& e) {
    progress.clear();
    return fail(kExitRunFailure, e.what());
  }
  return 0;
}
