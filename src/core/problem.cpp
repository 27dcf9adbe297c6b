// Names of the implementations as the CLI, CSV and Markdown spell them.
#include "core/problem.hpp"

namespace moebench {

std::string_view impl_name(ImplKind kind) { return kind == ImplKind::kFused ? "fused" : "epmoe"; }

}  // namespace moebench
