// Mesh ownership arithmetic.
#include "core/mesh.hpp"

#include <algorithm>

namespace moebench {

Range even_split(std::int64_t total, std::int64_t parts, std::int64_t index) {
  const std::int64_t share = total / parts;
  const std::int64_t extra = total % parts;
  const std::int64_t begin = index * share + std::min(index, extra);
  return {begin, begin + share + (index < extra ? 1 : 0)};
}

DeviceMesh::DeviceMesh(int tp_size, int ep_size, std::int64_t num_experts, std::int64_t intermediate_size)
    : tp_size_(tp_size), ep_size_(ep_size), num_experts_(num_experts), intermediate_size_(intermediate_size) {}

Range DeviceMesh::expert_range(int ep_rank) const {
  return {ep_rank * experts_per_device(), (ep_rank + 1) * experts_per_device()};
}

}  // namespace moebench
