// The two ways a run fails: bad input (exit 2, nothing measured or written) and a failure while
// running (exit 1, results so far kept). Library code throws; only main() exits.
#pragma once

#include <stdexcept>
#include <string>

namespace moebench {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RunError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

constexpr int kExitUsage = 2;
constexpr int kExitRunFailure = 1;

}  // namespace moebench
