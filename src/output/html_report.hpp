// The HTML report: one self-contained file (inline CSS and SVG, no scripts, nothing fetched) with
// each run's configuration, per scenario the latency, speedup, roofline and expert-load charts,
// and the full table. One run for a live benchmark; several, overlaid, for `report`.
#pragma once

#include <string>
#include <vector>

#include "output/run_record.hpp"

namespace moebench {

// Runs after the first are told apart by RunRecord::label in legends and tables.
std::string html_report(const std::vector<RunRecord>& runs);

}  // namespace moebench
