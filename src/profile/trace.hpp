// A trace in the Chrome trace event format (what Perfetto, chrome://tracing, TensorBoard's profile
// plugin and XProf open): complete events on named process/thread tracks, plus run metadata.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace moebench {

struct TraceEvent {
  std::string name;
  std::string category;  // "iteration", "phase", "kernel", "memcpy", "memset"
  std::uint64_t start_ns = 0;
  std::uint64_t end_ns = 0;
  int process = 0;  // a track group: kHostProcess, or kGpuProcessBase + device
  std::int64_t thread = 0;
  nlohmann::json args;
};

constexpr int kHostProcess = 0;
constexpr int kGpuProcessBase = 100;

struct Trace {
  std::vector<TraceEvent> events;
  std::map<int, std::string> process_names;
  std::map<std::pair<int, std::int64_t>, std::string> thread_names;
  nlohmann::json metadata;      // "otherData": command, case, implementation, device
  std::uint64_t origin_ns = 0;  // time zero of the trace
};

// The trace as Chrome trace JSON: "ts"/"dur" in microseconds from origin_ns.
std::string to_chrome_trace_json(const Trace& trace);

}  // namespace moebench
