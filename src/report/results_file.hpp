// Reading a saved run (--output-format json) for `report` and `compare`.
#pragma once

#include <string>

#include "output/run_record.hpp"

namespace moebench {

// The run in `path`, labelled with its command line. Throws UsageError with one line naming the
// file: unreadable, not JSON, another program's or schema version's file, a missing field, or a
// run that finished no case.
RunRecord read_results_file(const std::string& path);

}  // namespace moebench
