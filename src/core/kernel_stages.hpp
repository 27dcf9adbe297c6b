// Where a kernel spent its time, as the kernel timed itself (for --profile): per device, named
// spans on that device's own clock. The profiler shifts them onto the kernel's start in the trace.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace moebench {

struct KernelStages {
  std::string kernel;  // part of the kernel's name
  struct Span {
    int device;  // the CUDA device of this process
    std::string name;
    std::uint64_t begin_ns, end_ns;
  };
  std::vector<Span> spans;
};

}  // namespace moebench
