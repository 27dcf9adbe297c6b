// The verbosity switch.
#include "core/log.hpp"

#include <atomic>

namespace moebench {

namespace {
std::atomic<bool> g_verbose{false};
}

void set_verbose(bool verbose) { g_verbose = verbose; }
bool verbose_enabled() { return g_verbose; }

}  // namespace moebench
