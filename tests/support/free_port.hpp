// A loopback TCP port for tests that start a rendezvous.
#pragma once

namespace moebench::testing {

// A port on 127.0.0.1 that nothing listens on right now (the kernel's pick of an ephemeral one).
int free_port();

}  // namespace moebench::testing
