// Lookups in an enum's name table (an array of (value, name) pairs, e.g. kScenarioNames): one
// loop for every enum's name and parse functions and the CLI's checks of its flags.
#pragma once

#include <optional>
#include <string_view>

namespace moebench {

// `value`'s name in `table`; empty where the table does not name it.
template <typename Table, typename Enum>
std::string_view name_in(const Table& table, Enum value) {
  for (const auto& [entry, name] : table)
    if (entry == value) return name;
  return {};
}

// The value `table` names `name`; none where no entry does.
template <typename Table>
auto value_in(const Table& table, std::string_view name) -> std::optional<typename Table::value_type::first_type> {
  for (const auto& [value, spelled] : table)
    if (spelled == name) return value;
  return std::nullopt;
}

}  // namespace moebench
