// CSV header and rows, byte for byte as documented in README.md.
#include "output/csv_format.hpp"

#include <fmt/format.h>

namespace moebench {

std::string csv_header() {
  return "implementation,scenario,num_tokens,ep_size,tp_size,num_experts,num_experts_per_tok,"
         "latency_mean_ms,latency_std_ms,latency_p50_ms,latency_p95_ms,latency_p99_ms,latency_min_ms,"
         "latency_max_ms,max_load,min_load,avg_load,max_imbalance,throughput_tok_per_sec,"
         "device,dtype,check_rel_err,tflops,hbm_gbps,roofline_ms,pct_of_roofline";
}

namespace {

// Quotes a field only when it needs it (RFC 4180).
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

}  // namespace

std::string csv_row(const ResultRow& r) {
  const LatencyStats& l = r.latency;
  std::string line = fmt::format(
      "{},{},{},{},{},{},{},{:.4f},{:.4f},{:.4f},{:.4f},{:.4f},{:.4f},{:.4f},{},{},{:.2f},{:.2f},{:.2f}",
      impl_name(r.implementation), scenario_name(r.bench_case.scenario), r.bench_case.num_tokens, r.ep_size,
      r.tp_size, r.num_experts, r.top_k, l.mean_ms, l.std_ms, l.p50_ms, l.p95_ms, l.p99_ms, l.min_ms, l.max_ms,
      r.load.max_load, r.load.min_load, r.load.avg_load, r.load.max_imbalance, r.throughput_tok_per_sec);
  line += fmt::format(",{},{},", csv_field(r.device), csv_field(r.dtype));
  if (r.check_rel_err) line += fmt::format("{:.3e}", *r.check_rel_err);
  if (r.roofline) {
    const RooflineMetrics& m = *r.roofline;
    line += fmt::format(",{:.3f},{:.1f}", m.tflops, m.hbm_gbps);
    line += m.roofline_ms > 0 ? fmt::format(",{:.4f},{:.1f}", m.roofline_ms, m.pct_of_roofline) : ",,";
  } else {
    line += ",,,,";
  }
  return line;
}

}  // namespace moebench
