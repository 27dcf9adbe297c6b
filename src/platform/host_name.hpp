// The name of the machine a run measures on, for the outputs (spec: reproducible from its output).
#pragma once

#include <string>

namespace moebench {
// gethostname(), or "unknown" where it fails.
std::string host_name();
}  // namespace moebench
