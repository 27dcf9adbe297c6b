// `compare`: two saved runs case by case (scenario, tokens, implementation), each difference of
// means judged against the runs' own noise (README "compare" gives the rule).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "output/run_record.hpp"

namespace moebench {

// A difference of means counts as real when it exceeds this many standard deviations of the
// difference of two single iterations, sqrt(std_A^2 + std_B^2): a stricter test than the standard
// error of the means, because the iterations of one run are not independent of that run's machine
// state, so run-to-run shifts are larger than the standard error predicts.
inline constexpr double kNoiseSigmas = 2.0;

struct CaseComparison {
  BenchCase bench_case;
  ImplKind implementation = ImplKind::kFused;
  LatencyStats a, b;
  double ratio = 0;           // b.mean / a.mean: above 1, B is slower
  double change_pct = 0;      // 100 * (ratio - 1)
  double noise_ms = 0;        // kNoiseSigmas * sqrt(a.std^2 + b.std^2)
  bool beyond_noise = false;  // |b.mean - a.mean| > noise_ms
  bool regression = false;    // with a threshold: slower by more than it and beyond noise
};

struct Comparison {
  std::vector<CaseComparison> matched;  // in A's order
  std::vector<std::string> only_in_a;   // "imbalanced 1024 epmoe"
  std::vector<std::string> only_in_b;
  std::vector<std::string> differences;  // what the two runs' configurations differ in: "model", "device", ...
  std::optional<double> threshold_pct;   // --fail-on-regression
  int regressions() const;
};

Comparison compare_runs(const RunRecord& a, const RunRecord& b, std::optional<double> fail_on_regression_pct);

// The aligned table, with '#' lines naming the runs, the rule, what did not match and a summary.
std::string format_comparison(const Comparison& comparison, const std::string& name_a, const RunRecord& a,
                              const std::string& name_b, const RunRecord& b);

}  // namespace moebench
