// Derived metrics, one function each, formulas beside them (docs/metrics.md).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/dtype.hpp"
#include "core/moe_shape.hpp"

namespace moebench {

// Bytes per element each tensor occupies in the backend's memory.
struct TrafficModel {
  double weight_bytes = 2;  // bf16 weights on the GPU (f32 on the CPU backend; 1 for fp8 on the GPU)
  double hidden_bytes = 2;  // x
  double logit_bytes = 4;   // router logits, f32
  double output_bytes = 2;  // out
  // fp8: bytes of scale per 128 x 128 block of each weight matrix (4: one f32); 0 without scales.
  double weight_scale_bytes = 0;
};

// The two ceilings, measured once per run on the device (docs/metrics.md).
struct DevicePeaks {
  double bandwidth_gbps = 0;  // the best of the backend's read and copy probes
  double tflops = 0;          // a large GEMM in the layer's math type
  std::string bandwidth_method;
  std::string compute_method;
  // Whether the probes claim to bound every kernel (the CUDA backend's do). Then a row beyond a
  // peak is flagged (RooflineMetrics::beaten); the CPU backend's peaks are a guide only, and a
  // small layer there runs from the caches, far above its DRAM figure.
  bool upper_bounds = false;
  // The fp8 GEMM rate (CUDA: an FP8 cuBLASLt GEMM; the CPU backend emulates fp8 in f32, so its
  // SGEMM figure); 0 where the backend measured none. Initialized, so that brace-initializations
  // that stop before them stay warning-free.
  double fp8_tflops = 0;
  std::string fp8_compute_method{};
  // One-way peer copy bandwidth between two devices of the run (CUDA: cudaMemcpyPeerAsync GPU 0 to
  // 1; CPU: a memcpy, which is what its simulated links are); 0 on one device or where the probe
  // failed, and then no row has a communication bound.
  double link_gbps = 0;
  std::string link_method{};
  bool valid() const { return bandwidth_gbps > 0 && tflops > 0; }
};

// "3175.0 GB/s (bulk-copy ...), 810.00 TFLOP/s (cuBLAS bf16 ...)", then ", fp8 1620.00 TFLOP/s (...)"
// where the fp8 rate was measured and ", link 370.0 GB/s (...)" where the link was: how every
// output's header gives the peaks.
std::string describe_peaks(const DevicePeaks& peaks);

// The peaks a row of `dtype` is held against: an fp8 row's compute peak is the fp8 rate (none,
// hence no roofline, where that was not measured).
DevicePeaks peaks_for_dtype(const DevicePeaks& peaks, WeightDtype dtype);

// flops = 2 * T * k * 3 * H * I: gate, up and down GEMMs over every (token, slot) pair.
double layer_flops(const MoeShape& shape, std::int64_t num_tokens);

// bytes = weights of experts that received a token (and their scales) + inputs (x, logits) + output.
double layer_bytes(const MoeShape& shape, std::int64_t num_tokens, std::int64_t active_experts,
                   const TrafficModel& traffic);

// The peaks a row went faster than: its time is below what that peak alone allows. A roofline is
// an upper bound, so this means the probe that measured the peak fell short of the card.
enum class PeaksBeaten { kNone, kBandwidth, kCompute, kBoth };
// Each value's one name, as the warning and the JSON's beyond_peak spell it.
inline constexpr std::array<std::pair<PeaksBeaten, std::string_view>, 4> kPeaksBeatenNames{
    {{PeaksBeaten::kNone, ""},
     {PeaksBeaten::kBandwidth, "bandwidth"},
     {PeaksBeaten::kCompute, "compute"},
     {PeaksBeaten::kBoth, "bandwidth and compute"}}};
std::string_view peaks_beaten_name(PeaksBeaten beaten);
std::optional<PeaksBeaten> parse_peaks_beaten(std::string_view name);  // peaks_beaten_name's inverse

struct RooflineMetrics {
  double tflops = 0;                        // achieved: flops / mean time
  double hbm_gbps = 0;                      // achieved: bytes / mean time
  double roofline_ms = 0;                   // max(flops / peak_flops, bytes / peak_bw), peaks summed over devices
  double pct_of_roofline = 0;               // 100 * roofline_ms / mean_ms
  PeaksBeaten beaten = PeaksBeaten::kNone;  // above 100% of upper-bound peaks' roofline: which
};

RooflineMetrics roofline_metrics(double flops, double bytes, double mean_ms, const DevicePeaks& peaks, int num_devices);

// The warning line for a row above 100% of its roofline ("fused random T=32: 102.4% of the
// roofline: 3178 GB/s against a bandwidth peak of 3095 GB/s (...)"), naming the peak it beat;
// nothing for a row within it. `row`: what names the row; `cold_l2`: whether L2 was flushed (if
// not, part of the bytes may have come from L2 rather than memory, which the line says).
std::optional<std::string> roofline_excess_warning(std::string_view row, const RooflineMetrics& metrics,
                                                   const DevicePeaks& peaks, int num_devices, bool cold_l2);

// throughput = num_tokens / (mean_ms / 1000), num_tokens global.
double throughput_tok_per_sec(std::int64_t num_tokens, double mean_ms);

}  // namespace moebench
