// The verbosity switch.
#include "core/log.hpp"

#include <atomic>
#include <chrono>

namespace moebench {

namespace {
std::atomic<bool> g_verbose{false};
}

void set_verbose(bool verbose) {
  g_verbose = verbose;
  seconds_since_start();  // the clock starts here, as the program does
}
bool verbose_enabled() { return g_verbose; }

double seconds_since_start() {
  static const auto start = std::chrono::steady_clock::now();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace moebench
