// How the CLI unit tests run the flag parser: the program's name, then `args`.
#pragma once

#include <string>
#include <vector>

#include "cli/options.hpp"

namespace moebench::testing {

inline ParsedCommandLine parse_args(std::vector<std::string> args) {
  args.insert(args.begin(), "bench_fused_vs_epmoe");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

}  // namespace moebench::testing
