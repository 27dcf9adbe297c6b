// MOEBENCH_VERSION is set by CMake.
#include "platform/version.hpp"

#ifndef MOEBENCH_VERSION
#define MOEBENCH_VERSION "unknown"
#endif

namespace moebench {
std::string moebench_version() { return MOEBENCH_VERSION; }
}  // namespace moebench
