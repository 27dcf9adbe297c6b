// The flags of a layer small enough that the binary runs each case on the CPU in milliseconds
// (8 experts, top-2, hidden 64, intermediate 96), for the tests that start the binary.
#pragma once

#include <string>
#include <vector>

namespace moebench::testing {

// The tiny layer's flags with `benchmark_iters` timed iterations, then `extra`.
inline std::vector<std::string> tiny_cpu_run(int benchmark_iters, const std::vector<std::string>& extra) {
  std::vector<std::string> args{"--num-experts", "8",   "--num-experts-per-tok", "2",
                                "--hidden-size", "64",  "--intermediate-size",   "96",
                                "--device",      "cpu", "--benchmark-iters"};
  args.push_back(std::to_string(benchmark_iters));
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

}  // namespace moebench::testing
