// The CSV layout (spec: "Outputs"): the original's 19 columns, then ours appended.
#pragma once

#include <string>

#include "output/result.hpp"

namespace moebench {

std::string csv_header();
std::string csv_row(const ResultRow& row);

}  // namespace moebench
