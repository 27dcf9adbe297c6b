// Names of the activations as the CLI and model configs spell them.
#include "core/activation.hpp"

namespace moebench {

std::string_view activation_name(Activation activation) {
  switch (activation) {
    case Activation::kSilu: return "silu";
    case Activation::kGelu: return "gelu";
    case Activation::kSwigluOai: return "swigluoai";
  }
  return "silu";
}

std::optional<Activation> parse_activation(std::string_view name) {
  if (name == "silu" || name == "swiglu") return Activation::kSilu;
  if (name == "gelu" || name == "gelu_tanh" || name == "gelu_pytorch_tanh" || name == "gelu_new") return Activation::kGelu;
  if (name == "swigluoai") return Activation::kSwigluOai;
  return std::nullopt;
}

}  // namespace moebench
