// The host's memory as the fit checks see it, and byte counts as people read them.
#pragma once

#include <cstdint>
#include <string>

namespace moebench {

// Bytes of MemAvailable in /proc/meminfo; 0 when unknown.
std::uint64_t available_host_memory();

// "1.50 GiB", "12.0 MiB", "512 KiB".
std::string format_bytes(double bytes);

}  // namespace moebench
