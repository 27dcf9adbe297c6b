// The CLI11 definition of every flag: one source for the parser, --help and docs/cli.md.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/flag_checks.hpp"
#include "cli/options.hpp"

namespace moebench {

// Defines every flag of bench_fused_vs_epmoe on `app`, parsed into `options`; returns what each
// checked flag accepts.
AllowedValues define_options(CLI::App& app, CliOptions& options);

}  // namespace moebench
