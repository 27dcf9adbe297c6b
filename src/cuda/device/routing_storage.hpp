// The device buffers behind moe_kernels::RoutingBuffers, on the current GPU.
#pragma once

#include <cstdint>

#include "cuda/device/device_buffer.hpp"
#include "moe_kernels/moe_types.hpp"

namespace moebench::cuda {

class RoutingStorage {
 public:
  // Per-expert arrays for `experts` local experts; per-row arrays for `pairs` rows (topk_* for
  // `pairs`, the sorted side for `sorted_rows`, which differ where a device sorts rows it
  // received rather than its own pairs). Grows only; counts stay zero-initialised.
  void resize(std::size_t experts, std::size_t pairs, std::size_t sorted_rows) {
    expert_counts_.resize(experts);
    expert_cursor_.resize(experts);
    expert_offsets_.resize(experts + 1);
    gate_up_prefix_.resize(experts + 1);
    down_prefix_.resize(experts + 1);
    tile_counters_.resize(2);
    topk_ids_.resize(pairs);
    topk_weights_.resize(pairs);
    pair_row_.resize(pairs);
    sorted_token_.resize(sorted_rows);
    sorted_weight_.resize(sorted_rows);
  }

  moe_kernels::RoutingBuffers view() const {
    moe_kernels::RoutingBuffers r;
    r.topk_ids = topk_ids_.data();
    r.topk_weights = topk_weights_.data();
    r.expert_counts = expert_counts_.data();
    r.expert_cursor = expert_cursor_.data();
    r.expert_offsets = expert_offsets_.data();
    r.gate_up_tile_prefix = gate_up_prefix_.data();
    r.down_tile_prefix = down_prefix_.data();
    r.sorted_token = sorted_token_.data();
    r.sorted_weight = sorted_weight_.data();
    r.pair_row = pair_row_.data();
    r.tile_counters = tile_counters_.data();
    return r;
  }

 private:
  DeviceBuffer<std::int32_t> topk_ids_, expert_counts_, expert_cursor_, expert_offsets_, gate_up_prefix_, down_prefix_,
      sorted_token_, pair_row_, tile_counters_;
  DeviceBuffer<float> topk_weights_, sorted_weight_;
};

}  // namespace moebench::cuda
