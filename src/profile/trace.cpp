// Chrome trace JSON serialisation.
#include "profile/trace.hpp"

namespace moebench {

std::string to_chrome_trace_json(const Trace& trace) {
  nlohmann::json events = nlohmann::json::array();
  for (const auto& [process, name] : trace.process_names) {
    events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", process}, {"args", {{"name", name}}}});
    events.push_back(
        {{"name", "process_sort_index"}, {"ph", "M"}, {"pid", process}, {"args", {{"sort_index", process}}}});
  }
  for (const auto& [key, name] : trace.thread_names) {
    events.push_back(
        {{"name", "thread_name"}, {"ph", "M"}, {"pid", key.first}, {"tid", key.second}, {"args", {{"name", name}}}});
  }
  for (const TraceEvent& e : trace.events) {
    const double ts = (static_cast<double>(e.start_ns) - static_cast<double>(trace.origin_ns)) / 1e3;
    const double dur = e.end_ns > e.start_ns ? static_cast<double>(e.end_ns - e.start_ns) / 1e3 : 0.0;
    nlohmann::json event = {{"name", e.name}, {"cat", e.category}, {"ph", "X"},      {"ts", ts},
                            {"dur", dur},     {"pid", e.process},  {"tid", e.thread}};
    if (!e.args.is_null()) event["args"] = e.args;
    events.push_back(std::move(event));
  }
  nlohmann::json root = {{"displayTimeUnit", "ms"}, {"traceEvents", std::move(events)}};
  if (!trace.metadata.is_null()) root["otherData"] = trace.metadata;
  return root.dump();
}

}  // namespace moebench
