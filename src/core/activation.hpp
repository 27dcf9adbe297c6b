// The layer's gated activations on the host: the math is the kernels' own (one definition for the
// GPU and the reference, moe_kernels/activation.hpp); here are the names the CLI and model
// configs use for them.
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <utility>

#include "moe_kernels/activation.hpp"

namespace moebench {

using moe_kernels::Activation;
using moe_kernels::apply_activation;
using moe_kernels::gelu_tanh_and_mul;
using moe_kernels::sigmoid;
using moe_kernels::silu_and_mul;
using moe_kernels::swigluoai_and_mul;

// Each activation's one name: activation_name, parse_activation and the --activation flag spell it so.
inline constexpr std::array<std::pair<Activation, std::string_view>, 3> kActivationNames{
    {{Activation::kSilu, "silu"}, {Activation::kGelu, "gelu"}, {Activation::kSwigluOai, "swigluoai"}}};
// Other spellings in model configs' hidden_act, accepted by parse_activation but not by --activation.
inline constexpr std::array<std::pair<Activation, std::string_view>, 4> kActivationConfigAliases{
    {{Activation::kSilu, "swiglu"},
     {Activation::kGelu, "gelu_tanh"},
     {Activation::kGelu, "gelu_pytorch_tanh"},
     {Activation::kGelu, "gelu_new"}}};

// Names that say the formula outright, for files read outside moebench (--save-tensors): `gelu`
// is the tanh approximation, which a reader would otherwise take for the erf form.
inline constexpr std::array<std::pair<Activation, std::string_view>, 3> kActivationFormulaNames{
    {{Activation::kSilu, "silu"}, {Activation::kGelu, "gelu_tanh"}, {Activation::kSwigluOai, "swigluoai"}}};

std::string_view activation_name(Activation activation);
std::string_view activation_formula_name(Activation activation);
std::optional<Activation> parse_activation(std::string_view name);  // a name or a config alias

}  // namespace moebench
