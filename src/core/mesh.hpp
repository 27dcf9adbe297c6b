// The EP x TP device mesh (spec: "Devices, EP and TP"): who owns which experts, which slice of
// the intermediate dimension, and which tokens.
#pragma once

#include <cstdint>

namespace moebench {

struct Range {
  std::int64_t begin = 0;
  std::int64_t end = 0;
  std::int64_t size() const { return end - begin; }
  bool contains(std::int64_t i) const { return i >= begin && i < end; }
};

// `total` items split over `parts`: equal shares, the remainder spread one each over the first parts.
Range even_split(std::int64_t total, std::int64_t parts, std::int64_t index);

struct DeviceCoord {
  int ep_rank = 0;
  int tp_rank = 0;
};

class DeviceMesh {
 public:
  DeviceMesh() = default;
  // tp_size: all devices; ep_size divides it; tp_actual = tp_size / ep_size.
  DeviceMesh(int tp_size, int ep_size, std::int64_t num_experts, std::int64_t intermediate_size);

  int num_devices() const { return tp_size_; }
  int ep_size() const { return ep_size_; }
  int tp_actual() const { return tp_size_ / ep_size_; }

  // Device d = ep_rank * tp_actual + tp_rank: the TP ranks of one expert group are neighbours,
  // so their partial sums stay inside a node.
  DeviceCoord coord(int device) const { return {device / tp_actual(), device % tp_actual()}; }
  int device(DeviceCoord c) const { return c.ep_rank * tp_actual() + c.tp_rank; }

  std::int64_t experts_per_device() const { return num_experts_ / ep_size_; }
  Range expert_range(int ep_rank) const;
  int expert_owner(std::int64_t expert) const { return static_cast<int>(expert / experts_per_device()); }
  Range intermediate_range(int tp_rank) const { return even_split(intermediate_size_, tp_actual(), tp_rank); }
  // Tokens are split over every device, the layer's input layout.
  Range token_range(std::int64_t num_tokens, int device) const { return even_split(num_tokens, tp_size_, device); }

 private:
  int tp_size_ = 1;
  int ep_size_ = 1;
  std::int64_t num_experts_ = 1;
  std::int64_t intermediate_size_ = 1;
};

}  // namespace moebench
