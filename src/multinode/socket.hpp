// TCP sockets with deadlines for the rendezvous: nothing here blocks past the deadline it is given.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "multinode/wire.hpp"

namespace moebench::multinode {

using Clock = std::chrono::steady_clock;

class RendezvousError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket();
  Socket(Socket&& other) noexcept;
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  std::string peer() const;  // "host:port" of the other end

 private:
  int fd_ = -1;
};

struct Endpoint {
  std::string host;
  std::string port;
};
Endpoint parse_endpoint(const std::string& address);  // "host:port", "[v6]:port"

Socket listen_on(const Endpoint& endpoint);
// The next connection, or nothing once the deadline passes.
std::optional<Socket> accept_until(const Socket& listener, Clock::time_point deadline);
// Connects, retrying while the other side is not up yet; RendezvousError at the deadline.
Socket connect_until(const Endpoint& endpoint, Clock::time_point deadline);

void send_message(const Socket& socket, const Message& message, Clock::time_point deadline);

// Non-blocking reads for a watcher: takes whatever bytes have arrived and hands out complete
// messages, never losing a partly received one.
class MessageReader {
 public:
  // Reads what is available now; RendezvousError when the peer has closed the connection.
  void fill(const Socket& socket);
  // The next complete message, if any; WireError if the bytes are not a valid message.
  std::optional<Message> next();

 private:
  std::vector<std::uint8_t> buffer_;
};
// Nothing if the deadline passes first; RendezvousError if the peer closed; WireError if it sent
// something that is not a valid message.
std::optional<Message> receive_message(const Socket& socket, Clock::time_point deadline);

}  // namespace moebench::multinode
