// The commands over saved runs: `report` (the HTML report of one or several JSON runs) and
// `compare` (two runs, case by case). main() hands them the command line before the benchmark's
// own flags are parsed.
#pragma once

#include <cstdio>

namespace moebench {

// Whether argv[1] names one of these commands.
bool is_tool_command(int argc, const char* const* argv);

// Runs the command, writing its output to `out`. Returns the exit code: 0, or 1 when `compare
// --fail-on-regression` finds a regression. Throws UsageError on bad input (exit 2) and RunError
// when the report cannot be written.
int run_tool_command(int argc, const char* const* argv, std::FILE* out);

}  // namespace moebench
