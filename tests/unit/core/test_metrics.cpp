// The roofline and its guard: a row faster than a peak allows is named, with the peak it beat.
#include <gtest/gtest.h>

#include "core/metrics.hpp"

namespace moebench {
namespace {

const DevicePeaks kPeaks{3000.0, 800.0, "bulk-copy read of 4.0 GiB", "cuBLAS bf16 GEMM 8192x8192x8192", true};

// 3 GB and 0.8 TFLOP: 1 ms at either peak on one device.
constexpr double kBytes = 3e9, kFlops = 0.8e12;

TEST(Metrics, RooflineIsTheSlowerOfTheTwoPeaks) {
  const RooflineMetrics m = roofline_metrics(kFlops / 2, kBytes, 2.0, kPeaks, 1);
  EXPECT_DOUBLE_EQ(m.roofline_ms, 1.0);
  EXPECT_DOUBLE_EQ(m.pct_of_roofline, 50.0);
  EXPECT_DOUBLE_EQ(m.hbm_gbps, 1500.0);
  EXPECT_EQ(m.beaten, PeaksBeaten::kNone);
}

TEST(Metrics, ARowAtOrBelowItsRooflineGetsNoWarning) {
  const RooflineMetrics exactly = roofline_metrics(kFlops, kBytes, 1.0, kPeaks, 1);
  EXPECT_DOUBLE_EQ(exactly.pct_of_roofline, 100.0);
  EXPECT_EQ(exactly.beaten, PeaksBeaten::kNone);
  EXPECT_FALSE(roofline_excess_warning("fused random tokens=32", exactly, kPeaks, 1, true));
}

TEST(Metrics, ARowFasterThanTheBandwidthPeakNamesIt) {
  const RooflineMetrics m = roofline_metrics(kFlops / 10, kBytes, 0.96, kPeaks, 1);
  EXPECT_EQ(m.beaten, PeaksBeaten::kBandwidth);
  const auto line = roofline_excess_warning("fused random tokens=32", m, kPeaks, 1, true);
  ASSERT_TRUE(line);
  EXPECT_EQ(*line,
            "fused random tokens=32: 104.2% of the roofline: 3125 GB/s against a bandwidth peak of 3000 GB/s "
            "(bulk-copy read of 4.0 GiB): the probe of that peak fell short of what the device can do");
  // With a warm L2, L2 may have served part of the bytes: the line says so.
  const auto warm = roofline_excess_warning("fused random tokens=32", m, kPeaks, 1, false);
  ASSERT_TRUE(warm);
  EXPECT_NE(warm->find("without --cold-l2, part of the bytes came from L2"), std::string::npos);
}

TEST(Metrics, ARowFasterThanTheComputePeakNamesIt) {
  const RooflineMetrics m = roofline_metrics(kFlops, kBytes / 10, 0.9, kPeaks, 2);
  EXPECT_EQ(m.beaten, PeaksBeaten::kNone);  // two devices: twice the peaks
  const RooflineMetrics one = roofline_metrics(kFlops, kBytes / 10, 0.9, kPeaks, 1);
  EXPECT_EQ(one.beaten, PeaksBeaten::kCompute);
  const auto line = roofline_excess_warning("epmoe balanced tokens=16384", one, kPeaks, 1, false);
  ASSERT_TRUE(line);
  EXPECT_NE(line->find("888.9 TFLOP/s against a compute peak of 800.0 TFLOP/s (cuBLAS bf16 GEMM 8192x8192x8192)"),
            std::string::npos)
      << *line;
  EXPECT_EQ(line->find("L2"), std::string::npos) << "compute has nothing to do with L2";
}

TEST(Metrics, BothPeaksBeatenAreBothNamed) {
  const RooflineMetrics m = roofline_metrics(kFlops, kBytes, 0.5, kPeaks, 1);
  EXPECT_EQ(m.beaten, PeaksBeaten::kBoth);
  EXPECT_EQ(peaks_beaten_name(m.beaten), "bandwidth and compute");
  const auto line = roofline_excess_warning("fused random tokens=1", m, kPeaks, 1, true);
  ASSERT_TRUE(line);
  EXPECT_NE(line->find("bandwidth peak"), std::string::npos);
  EXPECT_NE(line->find("compute peak"), std::string::npos);
}

TEST(Metrics, PeaksThatAreNoUpperBoundsFlagNothing) {
  DevicePeaks cpu = kPeaks;  // the CPU backend's: a small layer runs from the caches
  cpu.upper_bounds = false;
  const RooflineMetrics m = roofline_metrics(kFlops, kBytes, 0.5, cpu, 1);
  EXPECT_DOUBLE_EQ(m.pct_of_roofline, 200.0);
  EXPECT_EQ(m.beaten, PeaksBeaten::kNone);
  EXPECT_FALSE(roofline_excess_warning("fused random tokens=1", m, cpu, 1, true));
}

TEST(Metrics, NoPeaksNoRooflineNoWarning) {
  const RooflineMetrics m = roofline_metrics(kFlops, kBytes, 0.5, DevicePeaks{}, 1);
  EXPECT_EQ(m.roofline_ms, 0.0);
  EXPECT_EQ(m.beaten, PeaksBeaten::kNone);
  EXPECT_FALSE(roofline_excess_warning("fused random tokens=1", m, DevicePeaks{}, 1, true));
}

MoeShape deepseek_v3_layer() {
  MoeShape s;
  s.num_experts = 256;
  s.top_k = 8;
  s.hidden_size = 7168;        // 56 blocks of 128
  s.intermediate_size = 2048;  // 16
  return s;
}

TEST(Metrics, LayerBytesCountWeightsInputsAndOutput) {
  const MoeShape s = deepseek_v3_layer();
  const double H = 7168, I = 2048, T = 64, E = 256;
  EXPECT_DOUBLE_EQ(layer_bytes(s, 64, 100, TrafficModel{}), 100 * 3 * H * I * 2 + T * H * 2 + T * E * 4 + T * H * 2);
}

TEST(Metrics, Fp8WeightsCountOneBytePlusAScalePerBlock) {
  const MoeShape s = deepseek_v3_layer();
  const double H = 7168, I = 2048, T = 64, E = 256;
  // The GPU's fp8 traffic: e4m3 weights, an f32 scale per 128 x 128 block; x and out as stored (bf16).
  const TrafficModel fp8{1, 2, 4, 2, 4};
  const double weights = 100 * 3 * (H * I + 56 * 16 * 4);
  EXPECT_DOUBLE_EQ(layer_bytes(s, 64, 100, fp8), weights + T * H * 2 + T * E * 4 + T * H * 2);
  // A size 128 does not divide: its last, partial block has a scale like any other.
  MoeShape gpt_oss = s;
  gpt_oss.hidden_size = gpt_oss.intermediate_size = 2880;  // 22.5 blocks: 23 scales per side
  const double fp8_weights = layer_bytes(gpt_oss, 1, 1, fp8) - layer_bytes(gpt_oss, 1, 1, TrafficModel{1, 2, 4, 2, 0});
  EXPECT_DOUBLE_EQ(fp8_weights, 3 * 23 * 23 * 4);
}

TEST(Metrics, Fp8RowsAreHeldAgainstTheFp8ComputePeak) {
  DevicePeaks peaks = kPeaks;
  EXPECT_EQ(peaks_for_dtype(peaks, WeightDtype::kBf16).tflops, 800.0);
  // Not measured: no compute peak, so no roofline rather than the bf16 one.
  EXPECT_FALSE(peaks_for_dtype(peaks, WeightDtype::kFp8Block128).valid());
  peaks.fp8_tflops = 1500.0;
  peaks.fp8_compute_method = "cuBLASLt fp8 GEMM 8192^3";
  const DevicePeaks fp8 = peaks_for_dtype(peaks, WeightDtype::kFp8Block128);
  EXPECT_EQ(fp8.tflops, 1500.0);
  EXPECT_EQ(fp8.compute_method, "cuBLASLt fp8 GEMM 8192^3");
  EXPECT_EQ(fp8.bandwidth_gbps, peaks.bandwidth_gbps);
}

}  // namespace
}  // namespace moebench
