// Names of the implementations as the CLI, CSV and Markdown spell them.
#include "core/problem.hpp"

namespace moebench {

std::string_view impl_name(ImplKind kind) {
  for (const auto& [value, name] : kImplNames)
    if (value == kind) return name;
  return {};  // not reached: every implementation has a name
}

std::optional<ImplKind> parse_impl(std::string_view name) {
  for (const auto& [value, spelled] : kImplNames)
    if (spelled == name) return value;
  return std::nullopt;
}

}  // namespace moebench
