// The program version, from `git describe` at configure time.
#pragma once

#include <string>

namespace moebench {
std::string moebench_version();
}
