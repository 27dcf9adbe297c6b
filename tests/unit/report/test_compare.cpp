// compare: case matching, the noise rule (|B - A| > 2 sqrt(std_A^2 + std_B^2)), regressions
// beyond a threshold, and the table.
#include <gtest/gtest.h>

#include "report/compare.hpp"
#include "unit/sample_runs.hpp"

namespace moebench {
namespace {

RunRecord one_case(double fused_ms, double std_ms) {
  RunRecord run = samples::run({Scenario::kRandom}, {1024}, {ImplKind::kFused});
  run.cases[0].rows[0].latency.mean_ms = fused_ms;
  run.cases[0].rows[0].latency.std_ms = std_ms;
  return run;
}

TEST(Compare, KnownRegressionBeyondNoiseAndThreshold) {
  // +15% with a noise band of 2 * sqrt(0.1^2 + 0.1^2) = 0.28 ms on a 1.5 ms difference.
  const Comparison c = compare_runs(one_case(10.0, 0.1), one_case(11.5, 0.1), 10.0);
  ASSERT_EQ(c.matched.size(), 1u);
  EXPECT_NEAR(c.matched[0].ratio, 1.15, 1e-12);
  EXPECT_NEAR(c.matched[0].change_pct, 15.0, 1e-9);
  EXPECT_NEAR(c.matched[0].noise_ms, 2 * std::sqrt(0.02), 1e-12);
  EXPECT_TRUE(c.matched[0].beyond_noise);
  EXPECT_TRUE(c.matched[0].regression);
  EXPECT_EQ(c.regressions(), 1);
  EXPECT_EQ(compare_runs(one_case(10.0, 0.1), one_case(11.5, 0.1), 20.0).regressions(), 0);  // under the threshold
  EXPECT_EQ(compare_runs(one_case(10.0, 0.1), one_case(11.5, 0.1), std::nullopt).regressions(), 0);  // no threshold
}

TEST(Compare, NoisyDifferenceIsNoRegression) {
  // +10%, but the runs' std of 1 ms puts the noise band at 2.83 ms.
  const Comparison c = compare_runs(one_case(10.0, 1.0), one_case(11.0, 1.0), 5.0);
  EXPECT_FALSE(c.matched[0].beyond_noise);
  EXPECT_EQ(c.regressions(), 0);
  // Exactly at the band is not beyond it.
  const double band = 2 * std::hypot(0.3, 0.4);
  EXPECT_FALSE(compare_runs(one_case(10.0, 0.3), one_case(10.0 + band, 0.4), 0.0).matched[0].beyond_noise);
  EXPECT_TRUE(compare_runs(one_case(10.0, 0.3), one_case(10.0 + band * 1.01, 0.4), 0.0).matched[0].beyond_noise);
}

TEST(Compare, FasterIsNeverARegression) {
  const Comparison c = compare_runs(one_case(10.0, 0.01), one_case(5.0, 0.01), 0.0);
  EXPECT_TRUE(c.matched[0].beyond_noise);
  EXPECT_EQ(c.regressions(), 0);
  EXPECT_NE(format_comparison(c, "a.json", one_case(10, 0), "b.json", one_case(5, 0)).find("faster"),
            std::string::npos);
}

TEST(Compare, MatchesByScenarioTokensAndImplementationAndListsTheRest) {
  const RunRecord a = samples::run({Scenario::kRandom, Scenario::kBalanced}, {64, 1024});
  RunRecord b = samples::run({Scenario::kRandom, Scenario::kImbalanced}, {1024, 4096}, {ImplKind::kEpMoe});
  b.layout.ep_size = b.layout.tp_size = 4;
  const Comparison c = compare_runs(a, b, std::nullopt);
  ASSERT_EQ(c.matched.size(), 1u);
  EXPECT_EQ(c.matched[0].bench_case.num_tokens, 1024);
  EXPECT_EQ(c.matched[0].implementation, ImplKind::kEpMoe);
  EXPECT_EQ(c.only_in_a.size(), 7u);
  EXPECT_EQ(c.only_in_a.front(), "random 64 fused");
  EXPECT_EQ(c.only_in_b,
            (std::vector<std::string>{"random 4096 epmoe", "imbalanced 1024 epmoe", "imbalanced 4096 epmoe"}));
  EXPECT_EQ(c.differences, std::vector<std::string>{"layout"});
}

// Two cold-L2 runs of different flushes are timed differently (8-10 us a layer on an H100): the
// comparison says so; without --cold-l2 the flush setting means nothing.
TEST(Compare, AnotherL2FlushIsATimingDifference) {
  RunRecord a = one_case(10.0, 0.1), b = one_case(10.0, 0.1);
  b.timing.l2_flush = L2Flush::kWrite;
  EXPECT_TRUE(compare_runs(a, b, std::nullopt).differences.empty());
  a.timing.cold_l2 = b.timing.cold_l2 = true;
  EXPECT_EQ(compare_runs(a, b, std::nullopt).differences, std::vector<std::string>{"timing"});
  b.timing.l2_flush = L2Flush::kRead;
  EXPECT_TRUE(compare_runs(a, b, std::nullopt).differences.empty());
}

TEST(Compare, TableLayout) {
  const RunRecord a = one_case(10.0, 0.1), b = one_case(11.5, 0.1);
  const std::string text = format_comparison(compare_runs(a, b, 10.0), "a.json", a, "b.json", b);
  EXPECT_EQ(text.rfind("# A: a.json: bench_fused_vs_epmoe --num-experts 8 --output-format json (cpu Test CPU, "
                       "0.1.0+test)\n# B: b.json: ",
                       0),
            0u)
      << text;
  EXPECT_NE(text.find("# beyond noise: |B - A| > 2 * sqrt(std_A^2 + std_B^2); REGRESSION: beyond noise and B slower "
                      "by more than 10%\n"),
            std::string::npos);
  EXPECT_NE(text.find("      random    1024  fused     10.0000     11.5000   1.150   +15.0%     0.2828  REGRESSION\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# 1 matching case(s): 1 slower, 0 faster, 0 within noise; 1 regression(s) beyond 10%\n"),
            std::string::npos);
}

}  // namespace
}  // namespace moebench
