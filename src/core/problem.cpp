// Names of the implementations as the CLI, CSV and Markdown spell them.
#include "core/problem.hpp"

#include <fmt/format.h>

#include "core/block_quant.hpp"
#include "core/name_table.hpp"

namespace moebench {

std::string_view impl_name(ImplKind kind) { return name_in(kImplNames, kind); }

std::optional<ImplKind> parse_impl(std::string_view name) { return value_in(kImplNames, name); }

std::string dtype_layout_problem(const Problem& problem) {
  const std::int64_t tp = problem.layout.tp_actual(), I = problem.shape.intermediate_size;
  if (problem.dtype != WeightDtype::kFp8Block128 || tp == 1 || I % (kFp8BlockSize * tp) == 0) return "";
  return fmt::format(
      "--dtype fp8 with {} devices per expert (tp_size / ep_size) needs intermediate_size to be a multiple of {} "
      "(128 x {}), so that each device's slice is whole 128-channel groups (got {})",
      tp, kFp8BlockSize * tp, tp, I);
}

}  // namespace moebench
