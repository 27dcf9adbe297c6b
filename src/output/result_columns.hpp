// The result columns: one definition from which the CSV, the console and the Markdown tables are made.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "output/result.hpp"

namespace moebench {

// One column's value in one row; none where the row has none.
using Cell = std::optional<std::variant<std::int64_t, double, std::string_view>>;

// The part of a row a column reads. The check, the roofline and the communication bound are
// optional: where a row lacks them their columns are empty, and the Markdown table leaves out their
// lines unless the case's first row has them.
enum class RowPart { kAlways, kCheck, kRoofline, kComm };

// How a human view shows a column. rank is its place in the view, from 1 (0: not shown); columns of
// one rank share that place, their values joined by " / " in CSV order, under the first one's title.
struct TextView {
  int rank = 0;
  std::string_view title;
  std::string_view format;  // fmt format of a value; a missing one shows "-"
  int width = 0;            // the place's text is right-aligned to it
};

struct ResultColumn {
  std::string_view csv_name;
  std::string_view csv_format;
  RowPart part = RowPart::kAlways;
  Cell (*value)(const ResultRow& row) = nullptr;  // called only on rows that have `part`
  TextView console{};
  TextView markdown{};
};

// In CSV order: the spec's 19 columns, then ours.
std::span<const ResultColumn> result_columns();

bool has_part(const ResultRow& row, RowPart part);
Cell cell_value(const ResultColumn& column, const ResultRow& row);
std::string format_cell(const Cell& cell, std::string_view format);  // "" for a missing value

// A view's places in its order, each the columns of one rank.
using ViewPlace = std::vector<const ResultColumn*>;
std::vector<ViewPlace> view_places(TextView ResultColumn::*view);
std::string place_title(const ViewPlace& place, TextView ResultColumn::*view);
std::string place_text(const ViewPlace& place, TextView ResultColumn::*view, const ResultRow& row);

}  // namespace moebench
