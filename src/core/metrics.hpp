// Derived metrics, one function each, formulas beside them (docs/metrics.md).
#pragma once

#include <cstdint>
#include <string>

#include "core/moe_shape.hpp"

namespace moebench {

// Bytes per element each tensor occupies in the backend's memory.
struct TrafficModel {
  double weight_bytes = 2;   // bf16 weights on the GPU (f32 on the CPU backend)
  double hidden_bytes = 2;   // x
  double logit_bytes = 4;    // router logits, f32
  double output_bytes = 2;   // out
};

// The two ceilings, measured once per run on the device.
struct DevicePeaks {
  double bandwidth_gbps = 0;  // better of a large copy (read + write bytes) and a read-only reduction
  double tflops = 0;          // a large GEMM in the layer's math type
  std::string bandwidth_method;
  std::string compute_method;
  bool valid() const { return bandwidth_gbps > 0 && tflops > 0; }
};

// flops = 2 * T * k * 3 * H * I: gate, up and down GEMMs over every (token, slot) pair.
double layer_flops(const MoeShape& shape, std::int64_t num_tokens);

// bytes = weights of experts that received a token + inputs (x, logits) + output.
double layer_bytes(const MoeShape& shape, std::int64_t num_tokens, std::int64_t active_experts,
                   const TrafficModel& traffic);

struct RooflineMetrics {
  double tflops = 0;           // achieved: flops / mean time
  double hbm_gbps = 0;         // achieved: bytes / mean time
  double roofline_ms = 0;      // max(flops / peak_flops, bytes / peak_bw), peaks summed over devices
  double pct_of_roofline = 0;  // 100 * roofline_ms / mean_ms
};

RooflineMetrics roofline_metrics(double flops, double bytes, double mean_ms, const DevicePeaks& peaks,
                                 int num_devices);

// throughput = num_tokens / (mean_ms / 1000), num_tokens global.
double throughput_tok_per_sec(std::int64_t num_tokens, double mean_ms);

}  // namespace moebench
