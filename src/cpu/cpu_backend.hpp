// The CPU backend: runs anywhere, simulating up to 256 devices in one process.
#pragma once

#include <memory>

#include "backend/backend.hpp"

namespace moebench {

std::unique_ptr<Backend> make_cpu_backend(int num_devices);

}  // namespace moebench
