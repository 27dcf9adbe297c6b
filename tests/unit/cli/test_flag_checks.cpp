// The checks CLI11 runs on each flag's value as it parses: the exact line and exit code of each
// refusal (those build_plan gave when the checks were its own), the values kept, and the one name
// table per enum behind the flags, the name functions and the parsers.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "cli/options.hpp"
#include "cli/validate.hpp"
#include "core/errors.hpp"
#include "unit/cli/parse_args.hpp"

namespace moebench {
namespace {

ParsedCommandLine parse(std::vector<std::string> args) {
  const std::vector<std::string> model{"--num-experts", "8",  "--num-experts-per-tok", "2",
                                       "--hidden-size", "64", "--intermediate-size",   "64"};
  args.insert(args.begin(), model.begin(), model.end());
  return testing::parse_args(std::move(args));
}

// The one line a refused command line prints after "bench_fused_vs_epmoe: error: ".
std::string refusal(const std::vector<std::string>& args) {
  const ParsedCommandLine parsed = parse(args);
  EXPECT_TRUE(parsed.exit_now);
  EXPECT_EQ(parsed.exit_code, kExitUsage);
  return parsed.message;
}

TEST(FlagChecks, UnknownNamesListTheChoices) {
  EXPECT_EQ(refusal({"--scenarios", "random", "skewed"}),
            "unknown value 'skewed' for --scenarios (choose from random, balanced, imbalanced)");
  EXPECT_EQ(refusal({"--implementations", "triton"}),
            "unknown value 'triton' for --implementations (choose from fused, epmoe)");
  EXPECT_EQ(refusal({"--device", "tpu"}), "unknown value 'tpu' for --device (choose from auto, cpu, cuda)");
  EXPECT_EQ(refusal({"--output-format", "xml"}),
            "unknown value 'xml' for --output-format (choose from csv, markdown, json, html, both)");
  // Model configs' aliases are not flag values.
  EXPECT_EQ(refusal({"--activation", "swiglu"}),
            "unknown value 'swiglu' for --activation (choose from silu, gelu, swigluoai)");
}

TEST(FlagChecks, NumbersOutOfRangeNameTheFlag) {
  EXPECT_EQ(refusal({"--num-tokens", "512", "0"}), "--num-tokens must be positive (got 0)");
  EXPECT_EQ(refusal({"--num-tokens", "16777217"}), "--num-tokens must be at most 16777216 (got 16777217)");
  EXPECT_EQ(refusal({"--warmup-iters", "-1"}), "--warmup-iters must be at least 0 (got -1)");
  EXPECT_EQ(refusal({"--benchmark-iters", "1000001"}), "--benchmark-iters must be at most 1000000 (got 1000001)");
  EXPECT_EQ(refusal({"--ep-size", "0"}), "--ep-size must be positive (got 0)");
  EXPECT_EQ(refusal({"--tp-size", "65537"}), "--tp-size must be at most 65536 (got 65537)");
  EXPECT_EQ(refusal({"--nnodes", "0x0"}), "--nnodes must be positive (got 0)");
  EXPECT_EQ(refusal({"--dist-timeout", "86401"}), "--dist-timeout must be in (0, 86400] seconds (got 86401)");
  EXPECT_EQ(refusal({"--dist-timeout", "nan"}), "--dist-timeout must be in (0, 86400] seconds (got nan)");
  EXPECT_EQ(refusal({"--imbalance-factor", "inf"}), "--imbalance-factor must be a positive number (got inf)");
  EXPECT_EQ(refusal({"--imbalance-factor", "-0"}), "--imbalance-factor must be a positive number (got -0)");
}

TEST(FlagChecks, TextThatIsNoNumberKeepsCli11sMessage) {
  EXPECT_EQ(refusal({"--num-tokens", "abc"}), "Could not convert: --num-tokens = abc (see --help)");
  EXPECT_EQ(refusal({"--dist-timeout", "soon"}), "Could not convert: --dist-timeout = soon (see --help)");
}

TEST(FlagChecks, TypedValuesAsGiven) {
  const ParsedCommandLine parsed = parse({"--scenarios", "imbalanced", "random", "imbalanced", "--device", "cuda",
                                          "--activation", "swigluoai", "--output-format", "md", "json"});
  ASSERT_FALSE(parsed.exit_now) << parsed.message;
  const CliOptions& o = parsed.options;
  EXPECT_EQ(o.scenarios, (std::vector<Scenario>{Scenario::kImbalanced, Scenario::kRandom, Scenario::kImbalanced}));
  EXPECT_EQ(o.device, DeviceChoice::kCuda);
  EXPECT_EQ(o.activation, Activation::kSwigluOai);
  EXPECT_EQ(o.output_format, (std::vector<OutputFormat>{OutputFormat::kMarkdown, OutputFormat::kJson}));
  const OutputConfig output = build_plan(o, environment_from({})).output;
  EXPECT_TRUE(output.markdown && output.json);
  EXPECT_FALSE(output.csv || output.html);
}

// A flag of one value given twice keeps the last; only that one is checked.
TEST(FlagChecks, ARepeatedFlagIsCheckedByTheValueItKeeps) {
  const ParsedCommandLine parsed = parse({"--ep-size", "0", "--ep-size", "2", "--device", "tpu", "--device", "cpu"});
  ASSERT_FALSE(parsed.exit_now) << parsed.message;
  EXPECT_EQ(parsed.options.ep_size, 2);
  EXPECT_EQ(parsed.options.device, DeviceChoice::kCpu);
  EXPECT_EQ(refusal({"--ep-size", "2", "--ep-size", "0"}), "--ep-size must be positive (got 0)");
}

TEST(FlagChecks, HelpWinsOverABadValue) {
  const ParsedCommandLine parsed = parse({"--num-tokens", "0", "--scenarios", "skewed", "--help"});
  EXPECT_TRUE(parsed.exit_now);
  EXPECT_EQ(parsed.exit_code, 0);
  EXPECT_EQ(parsed.message, help_text());
}

TEST(NameTables, EveryNameParsesBackToItsValue) {
  for (const auto& [value, name] : kScenarioNames) {
    EXPECT_EQ(scenario_name(value), name);
    EXPECT_EQ(parse_scenario(name), value);
  }
  for (const auto& [value, name] : kImplNames) {
    EXPECT_EQ(impl_name(value), name);
    EXPECT_EQ(parse_impl(name), value);
  }
  for (const auto& [value, name] : kActivationNames) {
    EXPECT_EQ(activation_name(value), name);
    EXPECT_EQ(parse_activation(name), value);
  }
  for (const auto& [value, alias] : kActivationConfigAliases) EXPECT_EQ(parse_activation(alias), value);
}

}  // namespace
}  // namespace moebench
