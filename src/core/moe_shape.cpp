// Printable form of the MoE shape.
#include "core/moe_shape.hpp"

#include <fmt/format.h>

namespace moebench {

std::string MoeShape::describe() const {
  return fmt::format("{} experts, top-{}, hidden {}, intermediate {}, {}", num_experts, top_k, hidden_size,
                     intermediate_size, activation_name(activation));
}

}  // namespace moebench
