// A run as the JSON and HTML outputs hold it: metadata and finished cases, built from what the
// runner hands the printers, or read back from a saved JSON file (src/output/results_json.hpp).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "output/result.hpp"

namespace moebench {

// The layer shape as text and numbers: enough to label a saved run, without the router's internals.
struct ModelSummary {
  std::string name;  // empty for a manual config
  std::int64_t num_experts = 0;
  std::int64_t top_k = 0;
  std::int64_t hidden_size = 0;
  std::int64_t intermediate_size = 0;
  std::string activation;
  std::string router;       // RouterConfig::describe()
  std::string description;  // MoeShape::describe()
};

// One (scenario, tokens) case: a row per implementation, in the order they ran.
struct CaseRecord {
  BenchCase bench_case;
  std::vector<ResultRow> rows;  // never empty; every row carries the case's expert loads
  const std::vector<std::int64_t>& expert_loads() const { return rows.front().expert_loads; }
  const ResultRow* row(ImplKind kind) const;  // null when that implementation did not run
};

struct RunRecord {
  std::string version;  // the program's, git describe
  std::string command_line;
  std::vector<std::string> hosts;
  std::uint64_t seed = 0;
  ModelSummary model;
  Layout layout;
  DeviceInfo device;
  DevicePeaks peaks;  // not valid() where the run measured none
  TimingConfig timing;
  std::vector<Scenario> scenarios;
  std::vector<std::int64_t> token_counts;
  std::vector<ImplKind> implementations;
  double imbalance_factor = 0;
  bool check = false;
  int cases_planned = 0;
  std::vector<CaseRecord> cases;
  std::string label;  // what charts overlaying several runs call this one; not saved

  bool complete() const { return static_cast<int>(cases.size()) == cases_planned; }
};

RunRecord make_run_record(const RunInfo& info);
CaseRecord make_case_record(std::span<const ResultRow> rows);

// The command line from the program's name on, without the directory it was run from: the
// default label of a saved run.
std::string command_label(const std::string& command_line);

}  // namespace moebench
