// Flag parsing, defaults, and every validation error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli/options.hpp"
#include "cli/validate.hpp"
#include "core/errors.hpp"
#include "unit/cli/parse_args.hpp"

namespace moebench {
namespace {

using testing::parse_args;

const std::vector<std::string> kQuickStart{"--num-experts", "8",    "--num-experts-per-tok", "2",
                                           "--hidden-size", "1024", "--intermediate-size",   "4096"};

std::vector<std::string> quick_start(std::vector<std::string> extra) {
  std::vector<std::string> args = kQuickStart;
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

BenchmarkPlan plan_for(const std::vector<std::string>& args) {
  const ParsedCommandLine parsed = parse_args(args);
  EXPECT_FALSE(parsed.exit_now) << parsed.message;
  return build_plan(parsed.options, environment_from({}));
}

// The UsageError message for args; fails the test when the plan is accepted.
std::string usage_error(const std::vector<std::string>& args) {
  const ParsedCommandLine parsed = parse_args(args);
  if (parsed.exit_now) return parsed.message;
  try {
    build_plan(parsed.options, environment_from({}));
  } catch (const UsageError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted";
  return "";
}

#define EXPECT_USAGE_ERROR(args, text) EXPECT_NE(usage_error(args).find(text), std::string::npos) << usage_error(args)

// --cold-l2 flushes by a read unless MOEBENCH_L2_FLUSH=write; any other value is refused by name.
TEST(Cli, L2FlushComesFromTheEnvironment) {
  const ParsedCommandLine parsed = parse_args(quick_start({"--cold-l2"}));
  EXPECT_EQ(build_plan(parsed.options, environment_from({})).timing.l2_flush, L2Flush::kRead);
  EXPECT_EQ(build_plan(parsed.options, environment_from({{"MOEBENCH_L2_FLUSH", "read"}})).timing.l2_flush,
            L2Flush::kRead);
  EXPECT_EQ(build_plan(parsed.options, environment_from({{"MOEBENCH_L2_FLUSH", "write"}})).timing.l2_flush,
            L2Flush::kWrite);
  try {
    build_plan(parsed.options, environment_from({{"MOEBENCH_L2_FLUSH", "memset"}}));
    ADD_FAILURE() << "accepted";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "MOEBENCH_L2_FLUSH=memset is not a flush of --cold-l2: read (the default) or write");
  }
}

TEST(Cli, SeedDefaults) {
  const BenchmarkPlan plan = plan_for(kQuickStart);
  EXPECT_EQ(plan.token_counts, (std::vector<std::int64_t>{512, 1024, 2048}));
  EXPECT_EQ(plan.scenarios, (std::vector<Scenario>{Scenario::kRandom, Scenario::kBalanced, Scenario::kImbalanced}));
  EXPECT_DOUBLE_EQ(plan.imbalance_factor, 3.0);
  EXPECT_EQ(plan.timing.warmup_iters, 1);
  EXPECT_EQ(plan.timing.benchmark_iters, 10);
  EXPECT_EQ(plan.problem.layout.ep_size, 1);
  EXPECT_EQ(plan.problem.layout.tp_size, 1);
  EXPECT_EQ(plan.problem.layout.nnodes, 1);
  EXPECT_EQ(plan.output.base_path, "./benchmark_results");
  EXPECT_TRUE(plan.output.csv && plan.output.markdown);
  EXPECT_EQ(plan.profile_dir, "./profiles");
  EXPECT_FALSE(plan.profile);
  EXPECT_EQ(plan.seed, 42u);
  EXPECT_EQ(plan.device, DeviceChoice::kAuto);
  EXPECT_EQ(plan.implementations, (std::vector<ImplKind>{ImplKind::kFused, ImplKind::kEpMoe}));
  EXPECT_EQ(plan.problem.shape.activation, Activation::kSilu);
  EXPECT_TRUE(plan.problem.shape.router.renormalize);
}

TEST(Cli, SeedQuickStartOneWithoutManualConfigFlag) {
  const BenchmarkPlan plan = plan_for(quick_start({"--num-tokens", "512", "--scenarios", "random"}));
  EXPECT_EQ(plan.problem.shape.num_experts, 8);
  EXPECT_EQ(plan.problem.shape.top_k, 2);
  EXPECT_EQ(plan.problem.shape.hidden_size, 1024);
  EXPECT_EQ(plan.problem.shape.intermediate_size, 4096);
  EXPECT_EQ(plan.token_counts, (std::vector<std::int64_t>{512}));
  EXPECT_EQ(plan.scenarios, (std::vector<Scenario>{Scenario::kRandom}));
}

TEST(Cli, EveryFlagParses) {
  const auto dir = std::filesystem::temp_directory_path();
  const BenchmarkPlan plan = plan_for({"--manual-config",
                                       "--num-experts",
                                       "60",
                                       "--num-experts-per-tok",
                                       "4",
                                       "--hidden-size",
                                       "2048",
                                       "--intermediate-size",
                                       "1408",
                                       "--activation",
                                       "gelu",
                                       "--ep-size",
                                       "4",
                                       "--tp-size",
                                       "8",
                                       "--num-tokens",
                                       "1",
                                       "8",
                                       "64",
                                       "--scenarios",
                                       "imbalanced",
                                       "balanced",
                                       "--imbalance-factor",
                                       "2.5",
                                       "--warmup-iters",
                                       "0",
                                       "--benchmark-iters",
                                       "3",
                                       "--output-format",
                                       "csv",
                                       "--output-file",
                                       (dir / "moebench_cli_test").string(),
                                       "--verbose",
                                       "--device",
                                       "cpu",
                                       "--seed",
                                       "7",
                                       "--implementations",
                                       "epmoe",
                                       "--profile",
                                       "--profile-dir",
                                       (dir / "moebench_profiles").string()});
  EXPECT_EQ(plan.problem.shape.activation, Activation::kGelu);
  EXPECT_EQ(plan.problem.layout.ep_size, 4);
  EXPECT_EQ(plan.problem.layout.tp_actual(), 2);
  EXPECT_EQ(plan.token_counts, (std::vector<std::int64_t>{1, 8, 64}));
  EXPECT_EQ(plan.scenarios, (std::vector<Scenario>{Scenario::kImbalanced, Scenario::kBalanced}));
  EXPECT_DOUBLE_EQ(plan.imbalance_factor, 2.5);
  EXPECT_EQ(plan.timing.warmup_iters, 0);
  EXPECT_EQ(plan.timing.benchmark_iters, 3);
  EXPECT_TRUE(plan.output.csv);
  EXPECT_FALSE(plan.output.markdown);
  EXPECT_TRUE(plan.verbose);
  EXPECT_EQ(plan.device, DeviceChoice::kCpu);
  EXPECT_EQ(plan.seed, 7u);
  EXPECT_EQ(plan.implementations, (std::vector<ImplKind>{ImplKind::kEpMoe}));
  EXPECT_TRUE(plan.profile);
}

TEST(Cli, MultiNodeFlags) {
  const BenchmarkPlan plan = plan_for(quick_start(
      {"--tp-size", "4", "--ep-size", "4", "--nnodes", "2", "--node-rank", "1", "--dist-init-addr", "10.0.0.1:12345"}));
  EXPECT_EQ(plan.problem.layout.nnodes, 2);
  EXPECT_EQ(plan.problem.layout.node_rank, 1);
  EXPECT_EQ(plan.dist_init_addr, "10.0.0.1:12345");
  EXPECT_DOUBLE_EQ(plan.dist_timeout_s, 300.0);
}

TEST(Cli, HelpExitsZero) {
  const ParsedCommandLine parsed = parse_args({"--help"});
  EXPECT_TRUE(parsed.exit_now);
  EXPECT_EQ(parsed.exit_code, 0);
  for (const char* flag : {"--model-path",       "--manual-config",
                           "--num-experts",      "--num-experts-per-tok",
                           "--hidden-size",      "--intermediate-size",
                           "--activation",       "--ep-size",
                           "--tp-size",          "--dist-init-addr",
                           "--nnodes",           "--node-rank",
                           "--num-tokens",       "--scenarios",
                           "--imbalance-factor", "--warmup-iters",
                           "--benchmark-iters",  "--profile",
                           "--profile-dir",      "--output-format",
                           "--output-file",      "--verbose",
                           "--device",           "--seed",
                           "--implementations",  "--check"}) {
    EXPECT_NE(parsed.message.find(flag), std::string::npos) << flag;
  }
}

TEST(Cli, ModelErrors) {
  EXPECT_USAGE_ERROR(std::vector<std::string>{}, "no model given");
  EXPECT_USAGE_ERROR(std::vector<std::string>{"--manual-config"}, "manual configuration is missing --num-experts");
  EXPECT_USAGE_ERROR((std::vector<std::string>{"--num-experts", "8", "--hidden-size", "64"}),
                     "missing --num-experts-per-tok, --intermediate-size");
  EXPECT_USAGE_ERROR((std::vector<std::string>{"--model-path", "x", "--manual-config"}), "exclude each other");
  EXPECT_USAGE_ERROR((std::vector<std::string>{"--model-path", "x", "--num-experts", "8"}), "exclude each other");
}

TEST(Cli, SizeErrors) {
  EXPECT_USAGE_ERROR(quick_start({"--num-experts", "0"}), "num_experts must be positive (got 0)");
  EXPECT_USAGE_ERROR(quick_start({"--hidden-size", "-5"}), "hidden_size must be positive (got -5)");
  EXPECT_USAGE_ERROR(quick_start({"--intermediate-size", "0"}), "intermediate_size must be positive");
  EXPECT_USAGE_ERROR(quick_start({"--num-experts-per-tok", "9"}), "num_experts_per_tok (9) exceeds num_experts (8)");
  EXPECT_USAGE_ERROR(quick_start({"--num-experts", "100000"}), "num_experts must be at most 4096");
  EXPECT_USAGE_ERROR(quick_start({"--num-experts", "eight"}), "--num-experts");
  EXPECT_USAGE_ERROR(quick_start({"--activation", "relu"}), "unknown value 'relu' for --activation");
}

TEST(Cli, BenchmarkParameterErrors) {
  EXPECT_USAGE_ERROR(quick_start({"--num-tokens", "0"}), "--num-tokens must be positive (got 0)");
  EXPECT_USAGE_ERROR(quick_start({"--num-tokens", "512", "-3"}), "--num-tokens");
  EXPECT_USAGE_ERROR(quick_start({"--benchmark-iters", "0"}), "--benchmark-iters must be positive (got 0)");
  EXPECT_USAGE_ERROR(quick_start({"--warmup-iters", "-1"}), "--warmup-iters must be at least 0 (got -1)");
  EXPECT_USAGE_ERROR(quick_start({"--scenarios", "skewed"}), "unknown value 'skewed' for --scenarios");
  EXPECT_USAGE_ERROR(quick_start({"--implementations", "triton"}), "unknown value 'triton' for --implementations");
  EXPECT_USAGE_ERROR(quick_start({"--device", "tpu"}), "unknown value 'tpu' for --device");
  EXPECT_USAGE_ERROR(quick_start({"--output-format", "xml"}), "unknown value 'xml' for --output-format");
  EXPECT_USAGE_ERROR(quick_start({"--check", "--implementations", "fused"}), "--check compares the two");
}

TEST(Cli, ImbalanceFactorMustBeReachable) {
  EXPECT_USAGE_ERROR(quick_start({"--imbalance-factor", "5"}), "[1.00, 4.00]");
  EXPECT_USAGE_ERROR(quick_start({"--imbalance-factor", "0.5"}), "cannot be reached with 8 experts and top-2");
  EXPECT_USAGE_ERROR(quick_start({"--imbalance-factor", "-1", "--scenarios", "random"}), "must be a positive number");
  // Out of range is fine when the imbalanced scenario is not run.
  EXPECT_NO_THROW(plan_for(quick_start({"--imbalance-factor", "5", "--scenarios", "random"})));
}

TEST(Cli, LayoutErrors) {
  EXPECT_USAGE_ERROR(
      quick_start({"--ep-size", "3", "--tp-size", "3"}),
      "num_experts must be divisible by ep_size (8 experts, ep_size 3); valid ep_size values: 1, 2, 4, 8");
  EXPECT_USAGE_ERROR(quick_start({"--ep-size", "2", "--tp-size", "3"}), "tp_size must be divisible by ep_size");
  EXPECT_USAGE_ERROR(quick_start({"--ep-size", "0"}), "--ep-size must be positive");
  EXPECT_USAGE_ERROR(quick_start({"--tp-size", "0"}), "--tp-size must be positive");
  EXPECT_USAGE_ERROR(quick_start({"--nnodes", "2", "--tp-size", "2"}), "needs --dist-init-addr");
  EXPECT_USAGE_ERROR(quick_start({"--nnodes", "2", "--node-rank", "2", "--tp-size", "2", "--dist-init-addr", "h:1"}),
                     "--node-rank must be in [0, 2)");
  EXPECT_USAGE_ERROR(quick_start({"--nnodes", "2", "--tp-size", "3", "--dist-init-addr", "h:1"}),
                     "tp_size must be divisible by nnodes");
  EXPECT_USAGE_ERROR(quick_start({"--dist-init-addr", "10.0.0.1"}), "host:port");
  EXPECT_USAGE_ERROR(quick_start({"--dist-timeout", "0"}), "--dist-timeout must be in (0, 86400]");
  EXPECT_USAGE_ERROR(quick_start({"--dist-init-addr", "10.0.0.1:99999"}), "host:port");
  EXPECT_USAGE_ERROR((std::vector<std::string>{"--num-experts", "8", "--num-experts-per-tok", "2", "--hidden-size", "8",
                                               "--intermediate-size", "2", "--tp-size", "4"}),
                     "cannot be split over tp_size / ep_size = 4 devices");
}

TEST(Cli, UnwritableOutputIsFoundBeforeAnyWork) {
  EXPECT_USAGE_ERROR(quick_start({"--output-file", "/proc/moebench/results"}), "cannot write output file");
  const auto dir = std::filesystem::temp_directory_path() / "moebench_cli_dir_as_file";
  std::filesystem::create_directories(dir.string() + ".csv");
  EXPECT_USAGE_ERROR(quick_start({"--output-file", dir.string()}), "is a directory");
  std::filesystem::remove(dir.string() + ".csv");
  // An unwritable trace directory only turns profiling off (with a warning): results still come.
  EXPECT_FALSE(plan_for(quick_start({"--profile", "--profile-dir", "/proc/moebench"})).profile);
}

// Missing folders of a relative path are made in the current folder once the run starts.
TEST(Cli, RelativeOutputInMissingFoldersIsAccepted) {
  const BenchmarkPlan plan =
      plan_for(quick_start({"--output-file", "moebench_missing/results", "--save-tensors", "moebench_missing/t"}));
  EXPECT_EQ(plan.output.csv_path(), "moebench_missing/results.csv");
  EXPECT_EQ(plan.save_tensors.dir, "moebench_missing/t");
  EXPECT_FALSE(std::filesystem::exists("moebench_missing"));
}

TEST(Cli, ModelConfigsBeyondTheLimitsNameTheSize) {
  const auto file = std::filesystem::temp_directory_path() / "moebench_cli_big_config.json";
  auto write = [&](const std::string& text) { std::ofstream(file) << text; };
  write(R"({"num_experts": 16, "num_experts_per_tok": 2, "hidden_size": 1048576, "intermediate_size": 64})");
  EXPECT_USAGE_ERROR((std::vector<std::string>{"--model-path", file.string()}),
                     "hidden_size must be at most 65536 (got 1048576)");
  write(R"({"num_experts": 16, "num_experts_per_tok": 32, "hidden_size": 64, "intermediate_size": 64})");
  EXPECT_USAGE_ERROR((std::vector<std::string>{"--model-path", file.string()}),
                     "num_experts_per_tok (32) exceeds num_experts (16)");
  std::filesystem::remove(file);
}

TEST(Cli, UnknownFlagIsOneLine) {
  const ParsedCommandLine parsed = parse_args({"--num-expert", "8"});
  EXPECT_TRUE(parsed.exit_now);
  EXPECT_EQ(parsed.exit_code, 2);
  EXPECT_EQ(parsed.message.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace moebench
