// The JSON results document (docs/results_json.md, docs/results_schema.json): a RunRecord written
// out whole, and read back by `report` and `compare`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "output/run_record.hpp"

namespace moebench {

inline constexpr const char* kResultsSchemaName = "moebench-results";
// Version 2 added each row's beyond_peak; version 1 files read as rows beyond no peak. Version 3
// added the fp8 peak, version 4 the link bandwidth and each row's communication bound (older files:
// none measured), version 5 how --cold-l2 flushed (older files: a write).
inline constexpr int kResultsSchemaVersion = 5;
inline constexpr int kOldestReadableSchemaVersion = 1;
inline constexpr const char* kResultsProgram = "bench_fused_vs_epmoe";

// Keys keep the order they are written in, so the file reads top-down as the docs describe it.
using Json = nlohmann::ordered_json;

Json results_to_json(const RunRecord& run);

// Throws UsageError, one line naming `source` and what is wrong: another program's file, another
// schema version, a missing or mistyped field.
RunRecord results_from_json(const Json& document, const std::string& source);

}  // namespace moebench
