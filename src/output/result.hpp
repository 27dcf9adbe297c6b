// The typed results printers format: one row per (case, implementation), and the run's header.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/comm_bound.hpp"
#include "core/device_info.hpp"
#include "core/metrics.hpp"
#include "core/plan.hpp"
#include "core/problem.hpp"
#include "core/statistics.hpp"

namespace moebench {

struct ResultRow {
  ImplKind implementation = ImplKind::kFused;
  BenchCase bench_case;
  int ep_size = 1;
  int tp_size = 1;
  std::int64_t num_experts = 0;
  std::int64_t top_k = 0;
  LatencyStats latency;
  LoadStats load;
  double throughput_tok_per_sec = 0;
  std::string device;  // backend and device name, e.g. "cuda:NVIDIA H100 80GB HBM3"
  std::string dtype;   // storage type of inputs and weights on that backend
  std::optional<double> check_rel_err;
  std::optional<RooflineMetrics> roofline;
  // Multi-device rows with a measured link bandwidth: the bytes the busiest link must carry, the
  // time that takes, and the row's time against the larger of that and its roofline.
  std::optional<CommBound> comm;
  std::vector<std::int64_t> expert_loads;  // tokens routed to each expert: the case's, same in each of its rows
};

struct RunInfo {
  const BenchmarkPlan* plan = nullptr;
  DeviceInfo device;
  DevicePeaks peaks;
  std::string version;
  std::vector<std::string> hosts{};  // the machines the run used (this one until multi-node runs exist)
};

}  // namespace moebench
