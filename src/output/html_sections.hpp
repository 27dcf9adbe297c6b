// The parts html_report() assembles; internal to src/output/html_*.cpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "output/run_record.hpp"

namespace moebench {

std::string_view report_css();

// A definition list of what the run measured and how: command, version, hosts, model, devices,
// peaks, timing, and a warning when it has not finished every case.
std::string run_configuration_html(const RunRecord& run);

// Every row of every run, one line each.
std::string results_table_html(const std::vector<RunRecord>& runs);

// The charts of one scenario: latency, speedup, percent of roofline, expert loads.
std::string scenario_section_html(Scenario scenario, const std::vector<RunRecord>& runs);

}  // namespace moebench
