// Turns parsed options into a validated BenchmarkPlan, or throws UsageError with one clear line.
// Checks that need the device (count, memory) happen in main once the backend is chosen.
#pragma once

#include "cli/options.hpp"
#include "runner/plan.hpp"

namespace moebench {

// Largest values accepted from flags or configs (docs/cli.md "Limits").
struct Limits {
  static constexpr std::int64_t kMaxExperts = 4096;
  static constexpr std::int64_t kMaxTopK = 64;
  static constexpr std::int64_t kMaxHidden = 65536;
  static constexpr std::int64_t kMaxIntermediate = 262144;
  static constexpr std::int64_t kMaxTokens = 1 << 24;
  static constexpr std::int64_t kMaxDevices = 65536;
  static constexpr std::int64_t kMaxIterations = 1000000;
};

BenchmarkPlan build_plan(const CliOptions& options);

// The MoE shape of the options: resolved from --model-path, or the manual sizes.
MoeShape shape_from_options(const CliOptions& options);

// Checks a shape's sizes and router against Limits and each other.
void validate_shape(const MoeShape& shape, const std::string& origin);

}  // namespace moebench
