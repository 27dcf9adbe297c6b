// The limits of docs/limits.md end to end through the flag parser and validation: every largest
// value is accepted and gives a finite memory estimate, one more is refused by name; the CPU
// backend then refuses the largest layer by its memory, with numbers, before allocating.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "cli/options.hpp"
#include "cli/validate.hpp"
#include "core/errors.hpp"
#include "cpu/cpu_memory.hpp"
#include "model/model_config.hpp"
#include "runner/backend_factory.hpp"

namespace moebench {
namespace {

std::vector<std::string> largest(const char* tp_size = "65536", const char* ep_size = "4096") {
  return {"--num-experts",
          "4096",
          "--num-experts-per-tok",
          "64",
          "--hidden-size",
          "65536",
          "--intermediate-size",
          "262144",
          "--num-tokens",
          "16777216",
          "--warmup-iters",
          "1000000",
          "--benchmark-iters",
          "1000000",
          "--tp-size",
          tp_size,
          "--ep-size",
          ep_size,
          "--scenarios",
          "random",
          "balanced",
          "--device",
          "cpu",
          "--output-file",
          "/tmp/moebench-limits-test/results"};
}

BenchmarkPlan plan_of(std::vector<std::string> args) {
  args.insert(args.begin(), "bench_fused_vs_epmoe");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  const ParsedCommandLine parsed = parse_command_line(static_cast<int>(argv.size()), argv.data());
  if (parsed.exit_now) throw UsageError(parsed.message);
  return build_plan(parsed.options, environment_from({}));
}

std::string refusal(std::vector<std::string> args) {
  try {
    plan_of(std::move(args));
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(Limits, TheLargestValuesAreAcceptedWithAFiniteMemoryEstimate) {
  const BenchmarkPlan plan = plan_of(largest());
  EXPECT_EQ(plan.problem.shape.intermediate_size, Limits::kMaxIntermediate);
  const MemoryEstimate m = estimate_cpu_memory(plan);
  EXPECT_TRUE(std::isfinite(m.total()));
  EXPECT_GT(m.weights, 1e15);  // 4096 * 3 * 65536 * 262144 weights, several bytes each
}

TEST(Limits, OneMoreThanEachLargestValueIsRefusedByName) {
  const std::vector<std::pair<std::string, std::string>> over{
      {"--num-experts", "4097"},         {"--num-experts-per-tok", "65"}, {"--hidden-size", "65537"},
      {"--intermediate-size", "262145"}, {"--num-tokens", "16777217"},    {"--warmup-iters", "1000001"},
      {"--benchmark-iters", "1000001"},  {"--tp-size", "65537"},          {"--ep-size", "65537"},
  };
  for (const auto& [flag, value] : over) {
    std::vector<std::string> args = largest();
    const auto at = std::find(args.begin(), args.end(), flag);
    ASSERT_NE(at, args.end());
    *(at + 1) = value;
    const std::string message = refusal(args);
    EXPECT_NE(message.find("must be at most"), std::string::npos) << flag << ": " << message;
  }
  // Far beyond int64: the parser refuses, nothing wraps around.
  std::vector<std::string> args = largest();
  args[3] = "99999999999999999999";
  EXPECT_NE(refusal(args), "(accepted)");
}

TEST(Limits, TheCpuBackendRefusesTheLargestLayerByItsMemory) {
  BenchmarkPlan plan = plan_of(largest("1", "1"));
  try {
    std::unique_ptr<multinode::Rendezvous> rendezvous;
    select_backend(plan, rendezvous);
    FAIL() << "accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("of host memory"), std::string::npos) << e.what();
  }
}

TEST(Limits, RoutedScalingFactorIsBoundedSoF32WeightsStayFinite) {
  nlohmann::json config{{"num_experts", 8},
                        {"num_experts_per_tok", 2},
                        {"hidden_size", 64},
                        {"intermediate_size", 64},
                        {"routed_scaling_factor", 1e6}};
  EXPECT_DOUBLE_EQ(shape_from_config(config, "c.json").router.routed_scaling_factor, 1e6);
  config["routed_scaling_factor"] = 1e39;
  try {
    shape_from_config(config, "c.json");
    FAIL() << "accepted";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "c.json: routed_scaling_factor must be a positive number at most 1e+06 (got 1e+39)");
  }
}

}  // namespace
}  // namespace moebench
