// Diagnostics on stderr: `--verbose` messages and warnings. Results go to printers, never here.
#pragma once

#include <cstdio>
#include <fmt/format.h>

namespace moebench {

void set_verbose(bool verbose);
bool verbose_enabled();
// Seconds since the program started (the first call), for the --verbose time stamps.
double seconds_since_start();

template <typename... Args>
void log_verbose(fmt::format_string<Args...> format, Args&&... args) {
  if (!verbose_enabled()) return;
  fmt::print(stderr, "[moebench {:7.2f}s] {}\n", seconds_since_start(),
             fmt::format(format, std::forward<Args>(args)...));
}

// An error the run goes on after (main prints the one that ends it).
template <typename... Args>
void log_error(fmt::format_string<Args...> format, Args&&... args) {
  fmt::print(stderr, "bench_fused_vs_epmoe: error: {}\n", fmt::format(format, std::forward<Args>(args)...));
}

template <typename... Args>
void log_warning(fmt::format_string<Args...> format, Args&&... args) {
  fmt::print(stderr, "bench_fused_vs_epmoe: warning: {}\n", fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace moebench
