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

// A GPU that never finishes its work (it waits on a peer that never arrives): the process cannot
// tear its CUDA and NCCL state down cleanly, so main ends it at once, finished rows kept.
class DeviceStuckError : public RunError {
 public:
  using RunError::RunError;
};

constexpr int kExitUsage = 2;
constexpr int kExitRunFailure = 1;

}  // namespace moebench
