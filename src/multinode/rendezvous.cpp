// Rendezvous: node 0's collection of HELLOs, the others' join, and the heartbeat monitor.
#include "multinode/rendezvous.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <poll.h>
#include <vector>

#include "core/log.hpp"

namespace moebench::multinode {

namespace {

std::string seconds(std::chrono::milliseconds ms) { return fmt::format("{:g} s", ms.count() / 1000.0); }

void send_quietly(const Socket& s, const Message& m) {
  try {
    send_message(s, m, Clock::now() + std::chrono::seconds(2));
  } catch (const std::exception&) {
    // The peer is gone already: nothing more to tell it.
  }
}

Message abort_message(const std::string& reason) { return {MessageType::kAbort, {{"reason", reason}}}; }

// Why a HELLO cannot join this run, or empty.
std::string mismatch(const RendezvousConfig& c, const Hello& h) {
  if (h.nnodes != c.nnodes) return fmt::format("it was started with --nnodes {}, node 0 with {}", h.nnodes, c.nnodes);
  if (h.program_version != c.program_version)
    return fmt::format("it runs moebench {}, node 0 runs {}", h.program_version, c.program_version);
  if (h.config_fingerprint != c.config_fingerprint)
    return "its command line differs from node 0's (sizes, layout, cases or timing)";
  if (h.local_devices != c.local_devices)
    return fmt::format("it has {} local devices for the run, node 0 has {}", h.local_devices, c.local_devices);
  return "";
}

// Node 0: accepts connections until every other node has sent a valid HELLO.
std::map<int, Socket> collect_nodes(const RendezvousConfig& c, std::map<int, std::string>& hosts) {
  const Socket listener = listen_on(parse_endpoint(c.address));
  const Clock::time_point deadline = Clock::now() + c.timeout;
  std::map<int, Socket> peers;
  auto fail = [&](const std::string& reason) -> RendezvousError {
    for (auto& [rank, socket] : peers) send_quietly(socket, abort_message(reason));
    return RendezvousError(reason);
  };
  while (static_cast<int>(peers.size()) < c.nnodes - 1) {
    std::optional<Socket> s = accept_until(listener, deadline);
    if (!s) {
      std::vector<int> missing;
      for (int r = 1; r < c.nnodes; ++r)
        if (!peers.count(r)) missing.push_back(r);
      throw fail(fmt::format("node(s) {} did not join within {} (--dist-timeout)", fmt::join(missing, ", "),
                             seconds(c.timeout)));
    }
    Hello hello;
    try {
      std::optional<Message> m = receive_message(*s, std::min(deadline, Clock::now() + std::chrono::seconds(10)));
      if (!m || m->type != MessageType::kHello) throw WireError("it sent no HELLO");
      hello = hello_from_json(m->payload);
    } catch (const std::exception& e) {
      // A stray client or a port scanner must not end the run: drop it and keep waiting.
      log_warning("rendezvous: ignored a connection from {}: {}", s->peer(), e.what());
      continue;
    }
    const std::string who = fmt::format("node {} ({})", hello.node_rank, hello.host);
    if (peers.count(hello.node_rank)) {
      send_quietly(*s, abort_message(fmt::format("node {} joined twice", hello.node_rank)));
      throw fail(fmt::format("node {} joined twice (from {} and {}): check --node-rank on each node", hello.node_rank,
                             hosts[hello.node_rank], hello.host));
    }
    if (const std::string why = mismatch(c, hello); !why.empty()) {
      send_quietly(*s, abort_message(fmt::format("{} does not match node 0: {}", who, why)));
      throw fail(fmt::format("{} does not match node 0: {}", who, why));
    }
    hosts[hello.node_rank] = hello.host;
    peers.emplace(hello.node_rank, std::move(*s));
  }
  return peers;
}

// Other nodes: connect, say hello, wait for node 0's welcome.
std::pair<Socket, std::string> join_node0(const RendezvousConfig& c) {
  const Clock::time_point deadline = Clock::now() + c.timeout;
  Socket s = connect_until(parse_endpoint(c.address), deadline);
  Hello hello{c.node_rank, c.nnodes, c.local_devices, c.host, c.program_version, c.config_fingerprint};
  send_message(s, {MessageType::kHello, to_json(hello)}, deadline);
  // Node 0 enforces the timeout and says why it stops: wait a little longer for its verdict.
  const Clock::time_point verdict = deadline + std::min<Clock::duration>(c.timeout, std::chrono::seconds(5));
  for (;;) {
    std::optional<Message> m;
    try {
      m = receive_message(s, verdict);
    } catch (const WireError& e) {
      throw RendezvousError(fmt::format("node 0 sent an invalid message: {}", e.what()));
    }
    if (!m)
      throw RendezvousError(fmt::format("node 0 did not start the run within {} (--dist-timeout)", seconds(c.timeout)));
    if (m->type == MessageType::kAbort)
      throw RendezvousError(fmt::format("node 0 stopped the run: {}", abort_reason(m->payload)));
    if (m->type == MessageType::kWelcome) {
      try {
        return {std::move(s), welcome_from_json(m->payload).start_token};
      } catch (const WireError& e) {
        throw RendezvousError(fmt::format("node 0 sent an invalid welcome: {}", e.what()));
      }
    }
  }
}

}  // namespace

std::unique_ptr<Rendezvous> Rendezvous::join(const RendezvousConfig& c) {
  if (c.node_rank == 0) {
    std::map<int, std::string> hosts;
    std::map<int, Socket> peers = collect_nodes(c, hosts);
    const std::string token = c.make_start_token ? c.make_start_token() : "";
    for (auto& [rank, socket] : peers)
      send_message(socket, {MessageType::kWelcome, to_json(Welcome{c.nnodes, token})}, Clock::now() + c.timeout);
    auto r = std::unique_ptr<Rendezvous>(new Rendezvous(c, std::move(peers), token));
    r->hosts_ = std::move(hosts);
    return r;
  }
  auto [socket, token] = join_node0(c);
  std::map<int, Socket> peers;
  peers.emplace(0, std::move(socket));
  return std::unique_ptr<Rendezvous>(new Rendezvous(c, std::move(peers), std::move(token)));
}

Rendezvous::Rendezvous(RendezvousConfig config, std::map<int, Socket> peers, std::string start_token)
    : config_(std::move(config)), peers_(std::move(peers)), start_token_(std::move(start_token)) {}

Rendezvous::~Rendezvous() {
  stopping_ = true;
  if (monitor_thread_.joinable()) monitor_thread_.join();
}

std::string Rendezvous::describe(int rank) const {
  auto it = hosts_.find(rank);
  return it == hosts_.end() ? fmt::format("node {}", rank) : fmt::format("node {} ({})", rank, it->second);
}

void Rendezvous::start_monitor(std::function<void(const std::string&)> on_failure, std::chrono::milliseconds period) {
  monitor_thread_ = std::thread([this, on_failure = std::move(on_failure), period] { monitor(on_failure, period); });
}

void Rendezvous::abort_all(const std::string& reason) {
  const std::lock_guard lock(send_mutex_);
  for (auto& [rank, socket] : peers_) send_quietly(socket, abort_message(reason));
}

void Rendezvous::finish() {
  {
    const std::lock_guard lock(send_mutex_);
    for (auto& [rank, socket] : peers_) send_quietly(socket, {MessageType::kDone, nlohmann::json::object()});
  }
  stopping_ = true;
  if (monitor_thread_.joinable()) monitor_thread_.join();
}

void Rendezvous::monitor(std::function<void(const std::string&)> on_failure, std::chrono::milliseconds period) {
  std::map<int, Clock::time_point> last_heard;
  for (const auto& [rank, socket] : peers_) last_heard[rank] = Clock::now();
  std::map<int, bool> done;
  std::map<int, MessageReader> readers;
  auto fail = [&](const std::string& reason) {
    if (config_.node_rank == 0) abort_all(reason);  // node 0 passes the news on to the others
    on_failure(reason);
  };
  Clock::time_point next_beat = Clock::now();
  while (!stopping_) {
    if (Clock::now() >= next_beat) {
      const std::lock_guard lock(send_mutex_);
      for (auto& [rank, socket] : peers_)
        if (!done[rank]) send_quietly(socket, {MessageType::kHeartbeat, nlohmann::json::object()});
      next_beat = Clock::now() + period;
    }
    for (auto& [rank, socket] : peers_) {
      if (done[rank]) continue;
      try {
        readers[rank].fill(socket);
        while (std::optional<Message> m = readers[rank].next()) {
          last_heard[rank] = Clock::now();
          if (m->type == MessageType::kDone) done[rank] = true;
          if (m->type == MessageType::kAbort) {
            on_failure(fmt::format("{} stopped the run: {}", describe(rank), abort_reason(m->payload)));
            if (config_.node_rank == 0) abort_all(abort_reason(m->payload));
            return;
          }
          if (done[rank]) break;
        }
      } catch (const std::exception& e) {
        return fail(fmt::format("{} went away ({})", describe(rank), e.what()));
      }
      if (!done[rank] && Clock::now() - last_heard[rank] > config_.timeout) {
        return fail(fmt::format("{} sent nothing for {} (--dist-timeout)", describe(rank), seconds(config_.timeout)));
      }
    }
    std::this_thread::sleep_for(std::min(period, std::chrono::milliseconds(50)));
  }
}

}  // namespace moebench::multinode
