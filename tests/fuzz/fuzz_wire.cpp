// libFuzzer target: bytes arriving from the network at a rendezvous node (src/multinode/wire.cpp,
// socket.cpp), through both readers node agents use, over a real socket pair: the non-blocking
// MessageReader of the heartbeat watcher (several messages per input, split anywhere) and
// receive_message of the join; then each message as the rendezvous reads it (HELLO, WELCOME,
// ABORT's reason). A peer's bytes may only cause WireError or RendezvousError.
#include <cstddef>
#include <cstdint>
#include <sys/socket.h>
#include <unistd.h>

#include "multinode/socket.hpp"
#include "multinode/wire.hpp"

namespace {

using namespace moebench::multinode;

void read_as_rendezvous_does(const Message& m) {
  switch (m.type) {
    case MessageType::kHello: (void)hello_from_json(m.payload); break;
    case MessageType::kWelcome: (void)welcome_from_json(m.payload); break;
    case MessageType::kAbort:
      for (char c : abort_reason(m.payload))
        if (c == '\n') __builtin_trap();  // the reason is printed as part of one line
      break;
    default: break;
  }
}

// A connected pair: what `data` arrives on, and the peer that sent it (closed when `hang_up`).
struct Pair {
  Socket reader;
  int writer = -1;
  Pair(const std::uint8_t* data, std::size_t size, bool hang_up) {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) __builtin_trap();
    reader = Socket(fds[0]);
    writer = fds[1];
    if (size > 0 && write(writer, data, size) != static_cast<ssize_t>(size)) __builtin_trap();
    if (hang_up) close_writer();
  }
  ~Pair() { close_writer(); }
  void close_writer() {
    if (writer >= 0) close(writer);
    writer = -1;
  }
};

void through_message_reader(const std::uint8_t* data, std::size_t size) {
  Pair pair(data, size, false);
  MessageReader reader;
  try {
    reader.fill(pair.reader);
    while (auto m = reader.next()) read_as_rendezvous_does(*m);
  } catch (const WireError&) {
  } catch (const RendezvousError&) {
  }
}

// The peer hangs up after its bytes, so a short message ends at once instead of at a deadline.
void through_receive_message(const std::uint8_t* data, std::size_t size) {
  Pair pair(data, size, true);
  try {
    for (int i = 0; i < 16; ++i) {
      const auto m = receive_message(pair.reader, Clock::now());
      if (!m) break;
      read_as_rendezvous_does(*m);
    }
  } catch (const WireError&) {
  } catch (const RendezvousError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;  // more than one socket buffer: the writer would block
  through_message_reader(data, size);
  through_receive_message(data, size);
  return 0;
}
