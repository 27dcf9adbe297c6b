// Builds without the CUDA backend have no GPU activity to collect.
#include "profile/gpu_activity.hpp"

namespace moebench {

std::unique_ptr<GpuActivityCollector> make_gpu_activity_collector(std::string* why) {
  *why = "this build has no CUDA backend";
  return nullptr;
}

}  // namespace moebench
