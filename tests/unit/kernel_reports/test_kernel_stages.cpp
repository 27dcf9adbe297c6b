// --profile's kernel-stage track: spans a kernel timed on its own clock, shifted onto the start of
// the matching launch on each GPU, and their mean durations.
#include <gtest/gtest.h>

#include "kernel_reports/kernel_stage_spans.hpp"
#include "profile/profiler.hpp"

namespace moebench {
namespace {

TraceEvent kernel(int device, std::uint64_t start_ns, std::uint64_t end_ns) {
  TraceEvent e;
  e.name = "void moe_kernels::fused_moe_ep_kernel<2>(FusedMoeEpArgs)";
  e.category = "kernel";
  e.start_ns = start_ns;
  e.end_ns = end_ns;
  e.process = kGpuProcessBase + device;
  e.thread = 7;
  return e;
}

// Two iterations on two GPUs; the GPU clock is far from the trace's.
std::vector<KernelStages> two_iterations() {
  std::vector<KernelStages> stages(2);
  for (std::uint64_t i = 0; i < 2; ++i) {
    stages[i].kernel = "fused_moe_ep_kernel";
    const std::uint64_t base = 9'000'000'000 + i * 1'000'000;
    for (int device = 0; device < 2; ++device) {
      stages[i].spans.push_back({device, "dispatch", base, base + 100 + 20 * i});
      stages[i].spans.push_back({device, "combine", base + 300, base + 350});
    }
  }
  return stages;
}

std::vector<const TraceEvent*> stage_events(const Trace& trace, int device) {
  std::vector<const TraceEvent*> found;
  for (const TraceEvent& e : trace.events)
    if (e.category == "stage" && e.process == kGpuProcessBase + device) found.push_back(&e);
  return found;
}

TEST(KernelStages, SpansSitOnTheirLaunchesAndAverage) {
  Trace trace;
  trace.events = {kernel(0, 5000, 5400), kernel(1, 5100, 5450), kernel(0, 9000, 9400), kernel(1, 9050, 9400)};
  const auto means = add_kernel_stages(trace, two_iterations());

  ASSERT_EQ(means.size(), 2u);
  EXPECT_EQ(means[0].first, "dispatch");
  EXPECT_DOUBLE_EQ(means[0].second, 110.0);  // 100 and 120, on both GPUs
  EXPECT_EQ(means[1].first, "combine");
  EXPECT_DOUBLE_EQ(means[1].second, 50.0);

  const auto gpu1 = stage_events(trace, 1);
  ASSERT_EQ(gpu1.size(), 4u);
  EXPECT_EQ(gpu1[0]->name, "dispatch");
  EXPECT_EQ(gpu1[0]->start_ns, 5100u);
  EXPECT_EQ(gpu1[0]->end_ns, 5200u);
  EXPECT_EQ(gpu1[1]->name, "combine");
  EXPECT_EQ(gpu1[1]->start_ns, 5400u);
  EXPECT_EQ(gpu1[2]->start_ns, 9050u);  // the second launch on GPU 1
  EXPECT_EQ(gpu1[2]->end_ns, 9170u);
  EXPECT_EQ(gpu1[0]->thread, kKernelStagesThread);
  EXPECT_EQ(trace.thread_names.at({kGpuProcessBase + 1, kKernelStagesThread}), "kernel stages (CTA 0's clock)");
}

TEST(KernelStages, AGpuWhoseLaunchesDoNotMatchGetsNoTrack) {
  Trace trace;
  trace.events = {kernel(0, 5000, 5400), kernel(0, 9000, 9400), kernel(1, 5100, 5450)};  // GPU 1: one launch
  const auto means = add_kernel_stages(trace, two_iterations());
  EXPECT_EQ(stage_events(trace, 0).size(), 4u);
  EXPECT_TRUE(stage_events(trace, 1).empty());
  EXPECT_DOUBLE_EQ(means[0].second, 110.0);  // the durations still count
}

TEST(KernelStages, NothingToAddLeavesTheTraceAlone) {
  Trace trace;
  trace.events = {kernel(0, 5000, 5400)};
  EXPECT_TRUE(add_kernel_stages(trace, {}).empty());
  EXPECT_TRUE(add_kernel_stages(trace, {KernelStages{"fused_moe_ep_kernel", {}}}).empty());
  EXPECT_EQ(trace.events.size(), 1u);
}

// The one-GPU fused kernel's stamps: each phase ends where the next begins, the last at the end
// stamp; a launch that has not stamped yet gives no spans.
TEST(KernelStages, OneGpuFusedPhasesFromTheirStartStamps) {
  moe_kernels::FusedStageTimes times{{100, 130, 150, 400, 520}, 600};
  const KernelStages stages = fused_kernel_stages(times, 3);
  EXPECT_EQ(stages.kernel, "fused_moe_kernel");
  ASSERT_EQ(stages.spans.size(), static_cast<std::size_t>(moe_kernels::kFusedStageCount));
  EXPECT_EQ(stages.spans[0].name, "route");
  EXPECT_EQ(stages.spans[2].name, "gate_up_gemm");
  EXPECT_EQ(stages.spans[2].begin_ns, 150u);
  EXPECT_EQ(stages.spans[2].end_ns, 400u);
  EXPECT_EQ(stages.spans[4].name, "combine");
  EXPECT_EQ(stages.spans[4].end_ns, 600u);
  for (const auto& span : stages.spans) EXPECT_EQ(span.device, 3);
  EXPECT_TRUE(fused_kernel_stages(moe_kernels::FusedStageTimes{}, 0).spans.empty());
}

// A launch cut short (stamps up to the gate/up GEMM only) keeps the phases it finished.
TEST(KernelStages, OneGpuFusedLeavesOutPhasesNotReached) {
  moe_kernels::FusedStageTimes times{{100, 130, 150, 0, 0}, 0};
  const KernelStages stages = fused_kernel_stages(times, 0);
  ASSERT_EQ(stages.spans.size(), 2u);
  EXPECT_EQ(stages.spans[1].name, "sort by expert");
}

}  // namespace
}  // namespace moebench
