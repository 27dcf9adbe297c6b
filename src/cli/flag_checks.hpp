// The checks of one flag's value that CLI11 runs as it parses: an enum's names, from the enum's one
// name table, and numbers within their limits. A refused value throws UsageError with the line that
// build_plan gave when these checks were its own (parse_command_line says why it is not returned).
#pragma once

#include <CLI/CLI.hpp>
#include <array>
#include <cstdint>
#include <fmt/format.h>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "core/errors.hpp"
#include "core/name_table.hpp"

namespace moebench {

// The names of a table joined by `separator`: "random, balanced, imbalanced" in errors,
// "{random,balanced,imbalanced}" in --help.
template <typename Table>
std::string joined_names(const Table& table, std::string_view separator) {
  std::string joined;
  for (const auto& [value, name] : table) joined += (joined.empty() ? "" : std::string(separator)) + std::string(name);
  return joined;
}

// What each checked flag accepts, by flag, for docs/cli.md (--help says it in the flag's
// description, or not at all).
using AllowedValues = std::map<std::string, std::string>;

// Attaches the checks to options and returns the option, for CLI11's chained calls. Attach them once
// the option's arity is set (expected, multi_option_policy): a list flag checks each of its values.
class FlagChecks {
 public:
  // Names from `table`, and `aliases` (accepted, not listed): CLI11 turns each into its value.
  template <typename Table, typename Aliases = std::array<typename Table::value_type, 0>>
  CLI::Option* names(CLI::Option* option, const Table& table, const Aliases& aliases = {});

  // Integers in [low, high].
  CLI::Option* integer_in(CLI::Option* option, std::int64_t low, std::int64_t high);

  // Numbers for which `accepts` holds; any other is refused as "FLAG must be RULE (got VALUE)".
  CLI::Option* number(CLI::Option* option, std::string rule, std::function<bool(double)> accepts);

  const AllowedValues& allowed() const { return allowed_; }

 private:
  // `check` applied to the values `option` keeps; `allowed` noted for the docs.
  CLI::Validator kept(const CLI::Option* option, CLI::Validator check, std::string allowed);
  AllowedValues allowed_;
};

template <typename Table, typename Aliases>
CLI::Option* FlagChecks::names(CLI::Option* option, const Table& table, const Aliases& aliases) {
  using Enum = typename Table::value_type::first_type;
  auto value_of = [table, aliases](const std::string& text) -> std::optional<Enum> {
    if (auto value = value_in(table, text)) return value;
    return value_in(aliases, text);
  };
  auto to_value = [value_of, flag = option->get_name(), listed = joined_names(table, ", ")](std::string& text) {
    const std::optional<Enum> value = value_of(text);
    if (!value) throw UsageError(fmt::format("unknown value '{}' for {} (choose from {})", text, flag, listed));
    text = std::to_string(static_cast<std::underlying_type_t<Enum>>(*value));  // CLI11 reads an enum as its number
    return std::string();
  };
  std::string allowed = joined_names(table, ", ");
  for (const auto& [value, name] : aliases) allowed += fmt::format("; {} = {}", name, name_in(table, value));
  // CLI11 would call the value an ENUM: it is typed as a name.
  return option->type_name("TEXT")->transform(kept(option, CLI::Validator(to_value, ""), std::move(allowed)));
}

}  // namespace moebench
