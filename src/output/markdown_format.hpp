// The Markdown report (seed: "Markdown Format"): a configuration line, then one table per
// (scenario, tokens) with both implementations side by side.
#pragma once

#include <string>
#include <vector>

#include "output/result.hpp"

namespace moebench {

std::string markdown_header(const RunInfo& info);
std::string markdown_case_table(const std::vector<ResultRow>& rows);

}  // namespace moebench
