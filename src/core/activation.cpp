// Names of the activations as the CLI and model configs spell them.
#include "core/activation.hpp"

namespace moebench {

std::string_view activation_name(Activation activation) {
  for (const auto& [value, name] : kActivationNames)
    if (value == activation) return name;
  return {};  // not reached: every activation has a name
}

std::optional<Activation> parse_activation(std::string_view name) {
  for (const auto& [value, spelled] : kActivationNames)
    if (spelled == name) return value;
  for (const auto& [value, spelled] : kActivationConfigAliases)
    if (spelled == name) return value;
  return std::nullopt;
}

}  // namespace moebench
