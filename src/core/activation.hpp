// The layer's gated activations on the host: the math is the kernels' own (one definition for the
// GPU and the reference, moe_kernels/activation.hpp); here are the names the CLI and model
// configs use for them.
#pragma once

#include <optional>
#include <string_view>

#include "moe_kernels/activation.hpp"

namespace moebench {

using moe_kernels::Activation;
using moe_kernels::apply_activation;
using moe_kernels::gelu_tanh_and_mul;
using moe_kernels::sigmoid;
using moe_kernels::silu_and_mul;
using moe_kernels::swigluoai_and_mul;

std::string_view activation_name(Activation activation);
std::optional<Activation> parse_activation(std::string_view name);

}  // namespace moebench
