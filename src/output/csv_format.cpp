// CSV header and rows, byte for byte as documented in README.md: every column of result_columns().
#include "output/csv_format.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "output/result_columns.hpp"

namespace moebench {

namespace {

// Quotes a field only when it needs it (RFC 4180).
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

}  // namespace

std::string csv_header() {
  std::vector<std::string_view> names;
  for (const ResultColumn& column : result_columns()) names.push_back(column.csv_name);
  return fmt::format("{}", fmt::join(names, ","));
}

std::string csv_row(const ResultRow& row) {
  std::vector<std::string> cells;  // a missing value is an empty cell
  for (const ResultColumn& column : result_columns()) {
    cells.push_back(csv_field(format_cell(cell_value(column, row), column.csv_format)));
  }
  return fmt::format("{}", fmt::join(cells, ","));
}

}  // namespace moebench
