// The expert-parallel fused kernel's self-reports in words (a stuck run's error line) and as
// --profile spans.
#include <gtest/gtest.h>

#include "kernel_reports/ep_kernel_report.hpp"

namespace moebench {
namespace {

using moe_kernels::EpCtaTrace;
using moe_kernels::EpFault;
using moe_kernels::EpKernelProgress;
using moe_kernels::EpStage;

EpKernelProgress at(unsigned launches, EpStage stage, EpFault fault = EpFault::kNone) {
  EpKernelProgress p{};
  p.launches = launches;
  p.stage = static_cast<unsigned>(stage);
  p.fault = static_cast<unsigned>(fault);
  return p;
}

TEST(EpKernelReport, NamesEachGpusLaunchAndStage) {
  const std::string line = describe_ep_progress({{0, at(15, EpStage::kResultsBarrier)}, {1, at(15, EpStage::kDown)}});
  EXPECT_EQ(line,
            "Where each GPU's fused kernel is: GPU rank 0 launch 15 in the cross-GPU barrier after the down GEMM; "
            "GPU rank 1 launch 15 in the down GEMM");
}

TEST(EpKernelReport, NamesTheInvariantAKernelStoppedOn) {
  const std::string line = describe_ep_progress({{2, at(3, EpStage::kSort, EpFault::kReceivedExpert)}});
  EXPECT_NE(line.find("GPU rank 2 stopped itself: a received row names an expert this GPU does not own"),
            std::string::npos)
      << line;
}

TEST(EpKernelReport, CountsCtasAndShowsTheOneStillInItsGemm) {
  std::vector<EpCtaTrace> ctas(3);
  for (EpCtaTrace& c : ctas) {
    c.stage = static_cast<unsigned>(EpStage::kDown);
    c.grid_arrived = 7;  // waiting in the grid barrier after the down GEMM
    c.grid_left = 6;
    c.tiles = {100, 30, 97, {30, 30}, {97, 97}, {1, 1, 1}};
  }
  ctas[1].grid_arrived = 6;  // still in the GEMM: its second consumer is a tile behind
  ctas[1].tiles = {100, 6, 93, {6, 5}, {93, 72}, {0, 0, 0}};
  const std::string line = describe_cta_traces(3, ctas, 2);
  EXPECT_NE(
      line.find("GPU rank 3: 3 CTAs, 2 in a grid barrier, 1 with a role in a GEMM phase, grid barriers left 6..6, "
                "tiles taken 66 of 100"),
      std::string::npos)
      << line;
  EXPECT_NE(line.find("[CTA 1: in the down GEMM, grid barriers 6/6, took 6 tiles (last 93), consumers finished 6/5 "
                      "(last 93/72), roles left the phase 000]"),
            std::string::npos)
      << line;
  EXPECT_EQ(line.find("CTA 0"), std::string::npos) << "CTAs waiting in a grid barrier are only counted";
}

TEST(EpKernelReport, StagesRunFromEachStampToTheNextAndTheLastToTheEnd) {
  EpKernelProgress p{};
  for (int s = 1; s < moe_kernels::kEpStageCount; ++s) p.stage_start_ns[s] = 1000 + 100 * static_cast<unsigned>(s);
  p.end_ns = 2000;
  EpKernelProgress unstarted{};
  const KernelStages stages = ep_kernel_stages({p, unstarted});
  ASSERT_EQ(stages.spans.size(), static_cast<std::size_t>(moe_kernels::kEpStageCount - 1)) << "GPU 1 never stamped";
  EXPECT_EQ(stages.kernel, "fused_moe_ep_kernel");
  EXPECT_EQ(stages.spans.front().name, "dispatch");
  EXPECT_EQ(stages.spans.front().begin_ns, 1100u);
  EXPECT_EQ(stages.spans.front().end_ns, 1200u);
  EXPECT_EQ(stages.spans.back().name, "combine");
  EXPECT_EQ(stages.spans.back().begin_ns, 1700u);
  EXPECT_EQ(stages.spans.back().end_ns, 2000u);
  for (const auto& span : stages.spans) EXPECT_EQ(span.device, 0);
}

}  // namespace
}  // namespace moebench
