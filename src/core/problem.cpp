// Names of the implementations as the CLI, CSV and Markdown spell them.
#include "core/problem.hpp"

namespace moebench {

std::string_view impl_name(ImplKind kind) { return kind == ImplKind::kFused ? "fused" : "epmoe"; }

std::optional<ImplKind> parse_impl(std::string_view name) {
  if (name == "fused") return ImplKind::kFused;
  if (name == "epmoe") return ImplKind::kEpMoe;
  return std::nullopt;
}

}  // namespace moebench
