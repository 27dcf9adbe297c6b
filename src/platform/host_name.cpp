// gethostname() with a fallback: a missing host name must not stop a run.
#include "platform/host_name.hpp"

#include <unistd.h>

namespace moebench {

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "unknown";
  return name;
}

}  // namespace moebench
