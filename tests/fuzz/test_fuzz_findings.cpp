// Each finding of the fuzz targets, as the behaviour now expected (the inputs themselves are in
// tests/fuzz/regressions and replayed by fuzz_replay_*): refused with one line, a UsageError, where
// the program used to crash, hang or run into undefined behaviour.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "cli/options.hpp"
#include "core/errors.hpp"
#include "model/json_file.hpp"
#include "output/html_report.hpp"
#include "output/results_json.hpp"
#include "output/svg_plot.hpp"
#include "report/results_file.hpp"
#include "support/process.hpp"
#include "unit/sample_runs.hpp"

namespace moebench {
namespace {

template <typename Call>
std::string usage_error(Call call) {
  try {
    call();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(accepted)";
}

ParsedCommandLine parse(std::vector<std::string> args) {
  args.insert(args.begin(), "bench_fused_vs_epmoe");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

// fuzz_model_config: a number beyond double's range made nlohmann throw out_of_range, which
// nothing caught: the process aborted (exit 134) on --model-path of such a config.
TEST(FuzzFindings, ConfigNumberBeyondDoubleIsInvalidJson) {
  EXPECT_EQ(usage_error([] { parse_json_text("{\"hidden_size\": 1e400}", "c.json"); }),
            "c.json: invalid JSON (number overflow parsing '1e400')");
}

// fuzz_command_line: CLI11 2.1 looped forever on an empty argument followed by an unknown flag,
// and silently dropped an empty positional.
TEST(FuzzFindings, EmptyArgumentsAreRefusedBeforeTheParserSeesThem) {
  ParsedCommandLine p = parse({"", "-x"});
  EXPECT_TRUE(p.exit_now);
  EXPECT_EQ(p.exit_code, kExitUsage);
  EXPECT_EQ(p.message, "argument 1 is empty (see --help)");
  p = parse({"--num-experts", "8", "--output-file", "", "--bogus"});
  EXPECT_EQ(p.exit_code, kExitUsage);
  EXPECT_EQ(p.message, "--output-file got an empty value (see --help)");
  p = parse({"--num-experts", ""});
  EXPECT_EQ(p.message, "--num-experts got an empty value (see --help)");
}

RunRecord sample() { return samples::run({Scenario::kRandom}, {64, 1024}); }

// fuzz_results_json: a layout with ep_size 0 divided by zero (Layout::tp_actual); every number is
// now held to the schema's bounds.
TEST(FuzzFindings, ResultsFieldsOutsideTheSchemaAreRefusedByName) {
  Json j = results_to_json(sample());
  j["layout"]["ep_size"] = 0;
  EXPECT_EQ(usage_error([&] { results_from_json(j, "x.json"); }),
            "x.json: layout.ep_size must be an integer in [1, 2147483647] (got 0)");
  j = results_to_json(sample());
  j["cases"][1]["rows"][0]["latency_mean_ms"] = -1.0;
  EXPECT_EQ(usage_error([&] { results_from_json(j, "x.json"); }),
            "x.json: cases[1].rows[0].latency_mean_ms must be a number from 0 to 1e+300 (got -1)");
  j = results_to_json(sample());
  j["cases"][0]["expert_loads"][3] = -5;
  EXPECT_EQ(usage_error([&] { results_from_json(j, "x.json"); }),
            "x.json: cases[0].expert_loads[3] must be an integer in [0, 9223372036854775807] (got -5)");
  j = results_to_json(sample());
  j["timing"]["benchmark_iters"] = 1ull << 40;
  const std::string message = usage_error([&] { results_from_json(j, "x.json"); });
  EXPECT_NE(message.find("timing.benchmark_iters must be an integer in [1, "), std::string::npos) << message;
}

// fuzz_results_json: the same out_of_range as the config reader's, through `report`/`compare`.
TEST(FuzzFindings, ResultsNumberBeyondDoubleIsNotJson) {
  const std::string dir = testing::make_temp_dir("moebench-findings");
  const std::string path = dir + "/big.json";
  std::ofstream(path) << "{\"schema\": \"moebench-results\", \"x\": 1e400}";
  EXPECT_EQ(usage_error([&] { read_results_file(path); }), path + ": not JSON (number overflow parsing '1e400')");
  std::filesystem::remove_all(dir);
}

// fuzz_results_json: latencies of 0 ms (or denormals) are within the schema; on the log axes
// they took log10(0) = -inf and converted it to int.
TEST(FuzzFindings, ZeroLatenciesStayOnTheLogAxes) {
  for (double low : {0.0, 5e-324}) {
    const Scale s = log_scale(low, 10.0, 0, 100);
    EXPECT_GT(s.lo, 0);
    EXPECT_TRUE(std::isfinite(s.map(0.0)));
    for (double t : ticks_for(s)) EXPECT_TRUE(std::isfinite(t));
    RunRecord run = sample();
    for (CaseRecord& c : run.cases)
      for (ResultRow& r : c.rows) r.latency = {10, low, 0, low, low, low, low, low};
    const std::string html = html_report({run});
    EXPECT_EQ(html.find("nan"), std::string::npos) << low;
    EXPECT_EQ(html.find("inf"), std::string::npos) << low;
  }
}

// A linear domain too narrow for its magnitude must not loop forever adding a step that no
// longer changes the value.
TEST(FuzzFindings, LinearTicksEndOnAnyDomain) {
  const Scale s{1e300, 1e300 * (1 + 1e-15), 0, 100, false};
  EXPECT_LE(ticks_for(s).size(), 64u);
  EXPECT_TRUE(ticks_for(Scale{0, std::nan(""), 0, 100, false}).empty());
}

}  // namespace
}  // namespace moebench
