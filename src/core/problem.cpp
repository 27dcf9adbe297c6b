// Names of the implementations as the CLI, CSV and Markdown spell them.
#include "core/problem.hpp"

#include "core/name_table.hpp"

namespace moebench {

std::string_view impl_name(ImplKind kind) { return name_in(kImplNames, kind); }

std::optional<ImplKind> parse_impl(std::string_view name) { return value_in(kImplNames, name); }

}  // namespace moebench
