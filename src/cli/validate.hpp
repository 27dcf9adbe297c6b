// Turns parsed options into a validated BenchmarkPlan, or throws UsageError with one clear line.
// Each flag's own names and range were checked as it was parsed (flag_checks.hpp); here are the
// checks that involve several flags or the model. Checks that need the device (count, memory)
// happen in main once the backend is chosen.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cli/launcher_env.hpp"
#include "cli/options.hpp"
#include "core/limits.hpp"
#include "core/plan.hpp"

namespace moebench {

// Limits (the largest values accepted from flags or configs) live in core/limits.hpp, with the
// proof that they keep every size product within range; docs/limits.md explains them.

// `environment` gives --nnodes, --node-rank and --dist-init-addr where the flags are absent
// (launcher_env.hpp): process_environment() for the program, environment_from({}) for none.
BenchmarkPlan build_plan(const CliOptions& options, const EnvironmentLookup& environment);

// The MoE shape of the options: resolved from --model-path, or the manual sizes.
MoeShape shape_from_options(const CliOptions& options);

// Checks a shape's sizes and router against Limits and each other.
void validate_shape(const MoeShape& shape, const std::string& origin);

// The one wording of a size outside [low, high], for flags and config keys alike; empty inside.
std::string out_of_range_message(std::string_view what, std::int64_t value, std::int64_t low, std::int64_t high);

}  // namespace moebench
