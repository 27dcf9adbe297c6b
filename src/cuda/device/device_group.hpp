// The GPUs one node drives (spec: "Devices, EP and TP"): this process runs all of them from one
// host thread, one stream each, with one NCCL communicator per GPU over every node's GPUs. Global
// rank = node_rank * local_count + local index, which is the mesh's device number.
#pragma once

#include <cuda_runtime.h>
#include <functional>
#include <nccl.h>
#include <string>
#include <vector>

#include "core/problem.hpp"
#include "cuda/device/cuda_context.hpp"

namespace moebench::cuda {

// The NCCL unique id as lowercase hex (what node 0 hands the other nodes at the rendezvous).
std::string make_nccl_start_token();

class DeviceGroup {
 public:
  // Local GPUs 0 .. tp_size / nnodes - 1 (as CUDA_VISIBLE_DEVICES numbers them). A world of one
  // GPU gets no communicator. `start_token`: make_nccl_start_token() of node 0; empty on one node.
  DeviceGroup(const Layout& layout, const std::string& start_token);
  ~DeviceGroup();
  DeviceGroup(const DeviceGroup&) = delete;
  DeviceGroup& operator=(const DeviceGroup&) = delete;

  int local_count() const { return static_cast<int>(contexts_.size()); }
  int world_size() const { return world_size_; }
  int first_rank() const { return first_rank_; }
  int rank(int local) const { return first_rank_ + local; }
  const CudaContext& context(int local) const { return contexts_[static_cast<std::size_t>(local)]; }
  ncclComm_t comm(int local) const { return comms_[static_cast<std::size_t>(local)]; }

  // fn(local) on one host thread per local GPU, that GPU current: for NCCL calls that are
  // collective over the communicators (window registration), which one thread cannot make for
  // several GPUs. Rethrows the first failure.
  void on_each_thread(const std::function<void(int)>& fn) const;
  // fn(local) for each local GPU in turn on this thread, that GPU current.
  void for_each(const std::function<void(int)>& fn) const;
  // Stream-ordered: every GPU of the world arrives before any goes on (a one-integer all-reduce).
  void barrier();
  // values[i] = max over every rank's values[i] (each local GPU passes the same vector).
  void max_over_ranks(std::vector<double>& values);
  void synchronize() const;
  // Waits for `event` of local GPU `local`; DeviceStuckError naming `what` once the stuck timeout
  // passes (a GPU waiting in a cross-GPU exchange for a peer that never comes never returns).
  void wait(int local, cudaEvent_t event, const std::string& what) const;
  // How long wait() and synchronize() give the GPUs (--dist-timeout).
  void set_stuck_timeout(double seconds) { stuck_timeout_s_ = seconds; }
  // Where each GPU is, as the running implementation knows it: appended to the message of a GPU
  // that is stuck or failed. Empty function: nothing to add.
  void set_progress_reporter(std::function<std::string()> reporter) { progress_reporter_ = std::move(reporter); }

 private:
  int world_size_ = 1;
  int first_rank_ = 0;
  std::vector<CudaContext> contexts_;
  std::vector<ncclComm_t> comms_;
  std::vector<int*> barrier_words_;
  double stuck_timeout_s_ = 300;
  std::function<std::string()> progress_reporter_;
};

}  // namespace moebench::cuda
