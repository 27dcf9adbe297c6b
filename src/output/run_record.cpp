// RunRecord from the runner's RunInfo: a copy of plain facts, so printers can keep it after the plan is gone.
#include "output/run_record.hpp"

#include "core/errors.hpp"

namespace moebench {

RunRecord make_run_record(const RunInfo& info) {
  const BenchmarkPlan& plan = *info.plan;
  const MoeShape& s = plan.problem.shape;
  RunRecord run;
  run.version = info.version;
  run.command_line = plan.command_line;
  run.hosts = info.hosts;
  run.seed = plan.seed;
  run.model = ModelSummary{s.model_name,        s.num_experts,       s.top_k,
                           s.hidden_size,       s.intermediate_size, std::string(activation_name(s.activation)),
                           s.router.describe(), s.describe()};
  run.layout = plan.problem.layout;
  run.device = info.device;
  run.peaks = info.peaks;
  run.timing = plan.timing;
  run.scenarios = plan.scenarios;
  run.token_counts = plan.token_counts;
  run.implementations = plan.implementations;
  run.imbalance_factor = plan.imbalance_factor;
  run.check = plan.check;
  run.cases_planned = static_cast<int>(plan.cases().size());
  return run;
}

const ResultRow* CaseRecord::row(ImplKind kind) const {
  for (const ResultRow& r : rows)
    if (r.implementation == kind) return &r;
  return nullptr;
}

CaseRecord make_case_record(std::span<const ResultRow> rows) {
  if (rows.empty()) throw RunError("a finished case has no result rows");
  return CaseRecord{rows.front().bench_case, std::vector<ResultRow>(rows.begin(), rows.end())};
}

std::string command_label(const std::string& command_line) {
  const std::size_t end_of_program = command_line.find(' ');
  const std::size_t slash = command_line.rfind('/', end_of_program);
  return slash == std::string::npos ? command_line : command_line.substr(slash + 1);
}

}  // namespace moebench
