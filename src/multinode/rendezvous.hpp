// Multi-node start-up and liveness between node agents (one per node): node 0 listens on
// --dist-init-addr, the others connect and say who they are and what they run; node 0 checks that
// every node runs the same command line and program, then shares the start data (the NCCL unique
// id). Afterwards heartbeats keep watch: a node that dies, aborts or falls silent ends the run on
// every node, within the timeout, with one line naming the node and the cause.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "multinode/socket.hpp"

namespace moebench::multinode {

struct RendezvousConfig {
  std::string address;  // --dist-init-addr host:port of node 0
  int nnodes = 1;
  int node_rank = 0;
  int local_devices = 1;
  std::string host;
  std::string program_version;
  std::string config_fingerprint;
  std::chrono::milliseconds timeout{300000};      // --dist-timeout
  std::function<std::string()> make_start_token;  // node 0 only: lowercase hex
};

class Rendezvous {
 public:
  // Blocks until every node has joined (node 0) or node 0 has started the run (others). Throws
  // RendezvousError with the one-line reason otherwise, after telling the other nodes.
  static std::unique_ptr<Rendezvous> join(const RendezvousConfig& config);
  ~Rendezvous();

  const std::string& start_token() const { return start_token_; }

  // Heartbeats every `period` in a background thread; `on_failure` runs once, on that thread,
  // with the reason, when a peer dies, aborts or is silent for the timeout.
  void start_monitor(std::function<void(const std::string&)> on_failure, std::chrono::milliseconds period);
  // Tells every peer to stop, with `reason`.
  void abort_all(const std::string& reason);
  // Tells every peer this node finished cleanly, and stops watching.
  void finish();

 private:
  Rendezvous(RendezvousConfig config, std::map<int, Socket> peers, std::string start_token);
  void monitor(std::function<void(const std::string&)> on_failure, std::chrono::milliseconds period);
  std::string describe(int rank) const;

  RendezvousConfig config_;
  std::map<int, Socket> peers_;  // rank -> connection (node 0: every node; others: node 0)
  std::map<int, std::string> hosts_;
  std::string start_token_;
  std::mutex send_mutex_;
  std::atomic<bool> stopping_{false};
  std::thread monitor_thread_;
};

}  // namespace moebench::multinode
