// POSIX sockets with poll()-based deadlines.
#include "multinode/socket.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace moebench::multinode {

namespace {

int millis_until(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
}

// Waits for `events` on fd; false at the deadline.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, millis_until(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) throw RendezvousError(fmt::format("poll failed: {}", std::strerror(errno)));
  }
}

addrinfo* resolve(const Endpoint& e, bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  addrinfo* result = nullptr;
  const int status = getaddrinfo(e.host.empty() ? nullptr : e.host.c_str(), e.port.c_str(), &hints, &result);
  if (status != 0) throw RendezvousError(fmt::format("cannot resolve {}:{}: {}", e.host, e.port, gai_strerror(status)));
  return result;
}

// Reads exactly n bytes; false at the deadline.
bool read_exact(const Socket& s, std::uint8_t* out, std::size_t n, Clock::time_point deadline) {
  std::size_t got = 0;
  while (got < n) {
    if (!wait_for(s.fd(), POLLIN, deadline)) return false;
    const ssize_t r = recv(s.fd(), out + got, n - got, 0);
    if (r == 0) throw RendezvousError(fmt::format("{} closed the connection", s.peer()));
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw RendezvousError(fmt::format("reading from {} failed: {}", s.peer(), std::strerror(errno)));
    }
    got += static_cast<std::size_t>(r);
  }
  return true;
}

}  // namespace

Socket::~Socket() {
  if (fd_ >= 0) close(fd_);
}
Socket::Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
Socket& Socket::operator=(Socket&& other) noexcept {
  if (fd_ >= 0) close(fd_);
  fd_ = std::exchange(other.fd_, -1);
  return *this;
}

std::string Socket::peer() const {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (getpeername(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) return "a peer";
  char host[NI_MAXHOST], port[NI_MAXSERV];
  if (getnameinfo(reinterpret_cast<sockaddr*>(&address), length, host, sizeof(host), port, sizeof(port),
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    return "a peer";
  return fmt::format("{}:{}", host, port);
}

Endpoint parse_endpoint(const std::string& address) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos) throw RendezvousError(fmt::format("'{}' is not host:port", address));
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return {host, address.substr(colon + 1)};
}

Socket listen_on(const Endpoint& e) {
  // Node 0 listens on every interface at the port: its own name may resolve to loopback.
  addrinfo* list = resolve({"", e.port}, true);
  std::string why = "no address";
  for (addrinfo* a = list; a != nullptr; a = a->ai_next) {
    Socket s(socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
    if (!s.valid()) continue;
    const int on = 1;
    setsockopt(s.fd(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (bind(s.fd(), a->ai_addr, a->ai_addrlen) == 0 && listen(s.fd(), 64) == 0) {
      freeaddrinfo(list);
      return s;
    }
    why = std::strerror(errno);
  }
  freeaddrinfo(list);
  throw RendezvousError(fmt::format("node 0 cannot listen on port {}: {}", e.port, why));
}

std::optional<Socket> accept_until(const Socket& listener, Clock::time_point deadline) {
  while (wait_for(listener.fd(), POLLIN, deadline)) {
    const int fd = accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) {
      const int on = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
      return Socket(fd);
    }
    if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN)
      throw RendezvousError(fmt::format("accept failed: {}", std::strerror(errno)));
  }
  return std::nullopt;
}

Socket connect_until(const Endpoint& e, Clock::time_point deadline) {
  std::string why = "no answer";
  while (Clock::now() < deadline) {
    addrinfo* list = resolve(e, false);
    for (addrinfo* a = list; a != nullptr; a = a->ai_next) {
      Socket s(socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
      if (!s.valid()) continue;
      if (connect(s.fd(), a->ai_addr, a->ai_addrlen) == 0) {
        freeaddrinfo(list);
        const int on = 1;
        setsockopt(s.fd(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
        return s;
      }
      why = std::strerror(errno);
    }
    freeaddrinfo(list);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  throw RendezvousError(fmt::format("node 0 at {}:{} did not answer ({})", e.host, e.port, why));
}

void send_message(const Socket& s, const Message& message, Clock::time_point deadline) {
  const std::vector<std::uint8_t> bytes = encode(message);
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    if (!wait_for(s.fd(), POLLOUT, deadline)) throw RendezvousError(fmt::format("sending to {} timed out", s.peer()));
    const ssize_t n = send(s.fd(), bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw RendezvousError(fmt::format("sending to {} failed: {}", s.peer(), std::strerror(errno)));
    }
    sent += static_cast<std::size_t>(n);
  }
}

void MessageReader::fill(const Socket& s) {
  std::uint8_t chunk[4096];
  while (wait_for(s.fd(), POLLIN, Clock::now())) {
    const ssize_t r = recv(s.fd(), chunk, sizeof(chunk), MSG_DONTWAIT);
    if (r == 0) throw RendezvousError("it closed the connection");
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      throw RendezvousError(fmt::format("reading failed: {}", std::strerror(errno)));
    }
    buffer_.insert(buffer_.end(), chunk, chunk + r);
    if (buffer_.size() > 4 * (kHeaderBytes + kMaxPayload)) throw WireError("a flood of data");
  }
}

std::optional<Message> MessageReader::next() {
  if (buffer_.size() < kHeaderBytes) return std::nullopt;
  const Header header = decode_header(buffer_.data(), kHeaderBytes);
  if (buffer_.size() < kHeaderBytes + header.payload_bytes) return std::nullopt;
  Message m = parse_payload(header, buffer_.data() + kHeaderBytes, header.payload_bytes);
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(kHeaderBytes + header.payload_bytes));
  return m;
}

std::optional<Message> receive_message(const Socket& s, Clock::time_point deadline) {
  std::uint8_t header_bytes[kHeaderBytes];
  if (!read_exact(s, header_bytes, kHeaderBytes, deadline)) return std::nullopt;
  const Header header = decode_header(header_bytes, kHeaderBytes);
  std::vector<std::uint8_t> payload(header.payload_bytes);
  // The payload follows its header at once from a well-behaved peer: a short grace period.
  if (!read_exact(s, payload.data(), payload.size(), std::max(deadline, Clock::now() + std::chrono::seconds(5))))
    throw WireError("payload did not follow its header");
  return parse_payload(header, payload.data(), payload.size());
}

}  // namespace moebench::multinode
