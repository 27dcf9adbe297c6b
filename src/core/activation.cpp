// Names of the activations as the CLI and model configs spell them.
#include "core/activation.hpp"

#include "core/name_table.hpp"

namespace moebench {

std::string_view activation_name(Activation activation) { return name_in(kActivationNames, activation); }
std::string_view activation_formula_name(Activation activation) { return name_in(kActivationFormulaNames, activation); }

std::optional<Activation> parse_activation(std::string_view name) {
  if (auto value = value_in(kActivationNames, name)) return value;
  return value_in(kActivationConfigAliases, name);
}

}  // namespace moebench
