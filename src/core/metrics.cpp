// Derived metrics; see docs/metrics.md.
#include "core/metrics.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "core/block_quant.hpp"
#include "core/name_table.hpp"

namespace moebench {

double layer_flops(const MoeShape& s, std::int64_t num_tokens) {
  return 2.0 * static_cast<double>(num_tokens) * static_cast<double>(s.top_k) * 3.0 *
         static_cast<double>(s.hidden_size) * static_cast<double>(s.intermediate_size);
}

double layer_bytes(const MoeShape& s, std::int64_t num_tokens, std::int64_t active_experts, const TrafficModel& t) {
  const double H = static_cast<double>(s.hidden_size), I = static_cast<double>(s.intermediate_size);
  const double T = static_cast<double>(num_tokens), E = static_cast<double>(s.num_experts);
  // Each of the three matrices has ceil(H/128) * ceil(I/128) blocks, whichever way it is oriented.
  const double blocks =
      static_cast<double>(fp8_blocks(s.hidden_size)) * static_cast<double>(fp8_blocks(s.intermediate_size));
  const double weights =
      static_cast<double>(active_experts) * 3.0 * (H * I * t.weight_bytes + blocks * t.weight_scale_bytes);
  const double inputs = T * H * t.hidden_bytes + T * E * t.logit_bytes;
  const double outputs = T * H * t.output_bytes;
  return weights + inputs + outputs;
}

std::string describe_peaks(const DevicePeaks& p) {
  std::string text = fmt::format("{:.1f} GB/s ({}), {:.2f} TFLOP/s ({})", p.bandwidth_gbps, p.bandwidth_method,
                                 p.tflops, p.compute_method);
  if (p.fp8_tflops > 0) text += fmt::format(", fp8 {:.2f} TFLOP/s ({})", p.fp8_tflops, p.fp8_compute_method);
  if (p.link_gbps > 0) text += fmt::format(", link {:.1f} GB/s ({})", p.link_gbps, p.link_method);
  return text;
}

DevicePeaks peaks_for_dtype(const DevicePeaks& peaks, WeightDtype dtype) {
  if (dtype != WeightDtype::kFp8Block128) return peaks;
  DevicePeaks fp8 = peaks;
  fp8.tflops = peaks.fp8_tflops;
  fp8.compute_method = peaks.fp8_compute_method;
  return fp8;
}

RooflineMetrics roofline_metrics(double flops, double bytes, double mean_ms, const DevicePeaks& peaks,
                                 int num_devices) {
  RooflineMetrics m;
  if (mean_ms <= 0) return m;
  const double seconds = mean_ms / 1e3;
  m.tflops = flops / seconds / 1e12;
  m.hbm_gbps = bytes / seconds / 1e9;
  if (!peaks.valid()) return m;
  const double compute_ms = flops / (peaks.tflops * 1e12 * num_devices) * 1e3;
  const double memory_ms = bytes / (peaks.bandwidth_gbps * 1e9 * num_devices) * 1e3;
  m.roofline_ms = std::max(compute_ms, memory_ms);
  m.pct_of_roofline = 100.0 * m.roofline_ms / mean_ms;
  if (!peaks.upper_bounds) return m;
  const bool bandwidth = mean_ms < memory_ms, compute = mean_ms < compute_ms;
  m.beaten = bandwidth && compute ? PeaksBeaten::kBoth
             : bandwidth          ? PeaksBeaten::kBandwidth
             : compute            ? PeaksBeaten::kCompute
                                  : PeaksBeaten::kNone;
  return m;
}

std::string_view peaks_beaten_name(PeaksBeaten beaten) { return name_in(kPeaksBeatenNames, beaten); }

std::optional<PeaksBeaten> parse_peaks_beaten(std::string_view name) { return value_in(kPeaksBeatenNames, name); }

std::optional<std::string> roofline_excess_warning(std::string_view row, const RooflineMetrics& m,
                                                   const DevicePeaks& peaks, int num_devices, bool cold_l2) {
  if (m.beaten == PeaksBeaten::kNone) return std::nullopt;
  std::string line = fmt::format("{}: {:.1f}% of the roofline:", row, m.pct_of_roofline);
  if (m.beaten != PeaksBeaten::kCompute) {
    line += fmt::format(" {:.0f} GB/s against a bandwidth peak of {:.0f} GB/s ({})", m.hbm_gbps,
                        peaks.bandwidth_gbps * num_devices, peaks.bandwidth_method);
  }
  if (m.beaten == PeaksBeaten::kBoth) line += ", and";
  if (m.beaten != PeaksBeaten::kBandwidth) {
    line += fmt::format(" {:.1f} TFLOP/s against a compute peak of {:.1f} TFLOP/s ({})", m.tflops,
                        peaks.tflops * num_devices, peaks.compute_method);
  }
  line += ": the probe of that peak fell short of what the device can do";
  if (m.beaten != PeaksBeaten::kCompute && !cold_l2) line += " (or, without --cold-l2, part of the bytes came from L2)";
  return line;
}

double throughput_tok_per_sec(std::int64_t num_tokens, double mean_ms) {
  return mean_ms > 0 ? static_cast<double>(num_tokens) / (mean_ms / 1e3) : 0.0;
}

}  // namespace moebench
