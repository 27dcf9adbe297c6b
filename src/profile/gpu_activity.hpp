// GPU activity for traces: kernels, memcpys and memsets with their timestamps, from CUPTI's
// activity API, loaded at run time (libcupti) so that a machine without it still runs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "profile/trace.hpp"

namespace moebench {

class GpuActivityCollector {
 public:
  virtual ~GpuActivityCollector() = default;
  // CUPTI's timestamp clock (nanoseconds); host phases use it too, so the two line up.
  virtual std::uint64_t now_ns() = 0;
  virtual void start() = 0;
  // Flushes, disables, and returns what was recorded since start().
  virtual std::vector<TraceEvent> stop() = 0;
};

// Null, with `why` saying why, where CUPTI cannot be loaded or refuses (or the build has no CUDA).
std::unique_ptr<GpuActivityCollector> make_gpu_activity_collector(std::string* why);

}  // namespace moebench
