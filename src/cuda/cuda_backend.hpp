// The CUDA backend: this node's GPUs, one or tp_size / nnodes of them under EP x TP.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "backend/backend.hpp"

namespace moebench {

// `layout`: the GPUs this node drives (tp_size / nnodes); `start_token`: node 0's NCCL id from the
// rendezvous, empty on one node; `max_tokens`: the run's largest case, for buffers sized once (0:
// sized case by case); `stuck_timeout_s`: how long several GPUs may take to finish queued work
// (--dist-timeout).
std::unique_ptr<Backend> make_cuda_backend(const Layout& layout = {}, const std::string& start_token = {},
                                           std::int64_t max_tokens = 0, double stuck_timeout_s = 300);

// Node 0's NCCL unique id, as the rendezvous hands it to the other nodes.
std::string make_nccl_start_token();

// CUDA devices visible to this process; 0 without a GPU or a driver.
int cuda_device_count();

}  // namespace moebench
