// Where the fused kernel's expert-parallel exchange lives inside each GPU's NCCL symmetric
// window: the same byte offsets on every GPU, so that a source writes straight into its peers'
// windows. Plain host arithmetic, unit-tested without a GPU.
#pragma once

#include <algorithm>
#include <cstdint>

namespace moe_kernels {

struct ExpertParallelWindow {
  int num_devices = 1;
  int device = 0;                    // this GPU's rank: ep_rank * tp_actual + tp_rank
  int tp_actual = 1;                 // GPUs sharing one expert group (the TP ranks)
  int experts_per_rank = 0;          // experts of one EP group
  int source_capacity = 0;           // rows one source may send one GPU: its max tokens * min(k, experts_per_rank)
  int pair_capacity = 0;             // (token, slot) pairs of one GPU at most: max tokens per GPU * k
  std::uint64_t recv_x = 0;          // (num_devices, source_capacity) rows received, recv_row_bytes apart
  std::uint64_t recv_meta = 0;       // (num_devices, source_capacity) int2: {local expert, source's pair index}
  std::uint64_t recv_count = 0;      // (num_devices) int: rows each source sent this iteration
  std::uint64_t y_back = 0;          // (tp_actual, pair_capacity, hidden_stride) bf16: each pair's y, per TP rank
  std::uint64_t bytes = 0;           // the whole window
  std::uint64_t recv_row_bytes = 0;  // between received rows: a bf16 row of hidden_stride, or a packed FP8 row
};

constexpr std::uint64_t kWindowAlignment = 4096;  // NCCL_WIN_REQUIRED_ALIGNMENT

// The layout for a case whose GPUs own at most `max_device_tokens` tokens each: a source sends a
// GPU at most min(k, experts per group) rows per token it owns (a token's k experts, of which at
// most experts_per_rank lie in one group). Received rows are `recv_row_bytes` apart (a multiple
// of 16): the FP8 kernel's packed rows; 0 for the bf16 kernel's rows of hidden_stride.
inline ExpertParallelWindow expert_parallel_window(int num_devices, int ep_size, int num_experts, int top_k, int hidden,
                                                   std::int64_t max_device_tokens, std::uint64_t recv_row_bytes = 0) {
  auto align = [](std::uint64_t bytes) { return (bytes + kWindowAlignment - 1) / kWindowAlignment * kWindowAlignment; };
  ExpertParallelWindow w;
  w.num_devices = num_devices;
  w.tp_actual = num_devices / ep_size;
  w.experts_per_rank = num_experts / ep_size;
  const std::int64_t hidden_stride = (hidden + 7) / 8 * 8;
  const std::int64_t tokens = std::max<std::int64_t>(max_device_tokens, 1);
  w.source_capacity = static_cast<int>(tokens * std::min(top_k, w.experts_per_rank));
  w.pair_capacity = static_cast<int>(tokens * top_k);
  const auto rows = static_cast<std::uint64_t>(num_devices) * static_cast<std::uint64_t>(w.source_capacity);
  const auto row_bytes = static_cast<std::uint64_t>(hidden_stride) * 2;
  w.recv_row_bytes = recv_row_bytes > 0 ? recv_row_bytes : row_bytes;
  w.recv_x = 0;
  w.recv_meta = align(w.recv_x + rows * w.recv_row_bytes);
  w.recv_count = align(w.recv_meta + rows * 8);
  w.y_back = align(w.recv_count + static_cast<std::uint64_t>(num_devices) * 4);
  w.bytes = align(w.y_back +
                  static_cast<std::uint64_t>(w.tp_actual) * static_cast<std::uint64_t>(w.pair_capacity) * row_bytes);
  return w;
}

}  // namespace moe_kernels
