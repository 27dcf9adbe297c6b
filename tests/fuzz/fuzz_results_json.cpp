// libFuzzer target: a results file as `report` and `compare` read it (src/report/results_file.cpp,
// src/output/results_json_read.cpp), then everything they build from it: the HTML report with its
// SVG charts, and the comparison of the run with itself. Saved runs come from anywhere (mailed,
// edited, truncated); bad ones may only throw UsageError, which main() turns into exit code 2.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/errors.hpp"
#include "memfd_file.hpp"
#include "output/html_report.hpp"
#include "report/compare.hpp"
#include "report/results_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace moebench;
  static fuzz::MemoryFile file;
  try {
    const RunRecord run = read_results_file(file.hold(data, size));
    (void)html_report({run, run});
    const Comparison comparison = compare_runs(run, run, 5.0);
    (void)format_comparison(comparison, "a.json", run, "b.json", run);
  } catch (const UsageError&) {
    // The expected answer to a bad file; any other exception escapes and is a finding.
  }
  return 0;
}
