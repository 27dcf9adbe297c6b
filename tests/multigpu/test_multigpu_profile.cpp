// --profile of fused over 4 GPUs: each GPU's trace process gets the kernel's own stage track
// (dispatch, barriers, GEMMs, combine) inside each of its fused_moe_ep_kernel launches, in order,
// and the durations add up to the launch.
#include <gtest/gtest.h>

#include <filesystem>

#include "backend/backend.hpp"
#include "cuda/cuda_backend.hpp"
#include "profile/profiler.hpp"
#include "support/process.hpp"
#include "support/trace_reader.hpp"

namespace moebench {
namespace {

TEST(MultiGpuProfile, FusedStagesSitInsideTheirLaunches) {
  const Layout layout{4, 4, 1, 0};
  if (cuda_device_count() < layout.tp_size) GTEST_SKIP() << "needs 4 GPUs";
  const std::string dir = testing::make_temp_dir("moebench-multigpu-profile");
  BenchmarkPlan plan;
  plan.profile = true;
  plan.profile_dir = dir;
  plan.command_line = "multigpu_tests";
  plan.problem.shape.num_experts = 64;
  plan.problem.shape.top_k = 4;
  plan.problem.shape.hidden_size = 1024;
  plan.problem.shape.intermediate_size = 512;
  plan.problem.layout = layout;
  auto backend = make_cuda_backend(layout);
  const EpWeights weights = generate_ep_weights(plan.problem.shape, 3);
  const BenchCase bench_case{Scenario::kRandom, 2048};
  auto fused = backend->create(ImplKind::kFused, plan.problem, weights);
  fused->prepare(make_case_inputs(plan.problem.shape, bench_case, 2.0, 3));
  Profiler profiler(plan, "cuda", true);
  const ProfiledPass pass = profiler.profile(
      bench_case, ImplKind::kFused, 3,
      [&](int) {
        fused->run_iteration();
        backend->synchronize();
      },
      [&] { return fused->last_kernel_stages(); });
  ASSERT_FALSE(pass.path.empty());
  EXPECT_NE(pass.summary.find("dispatch"), std::string::npos) << pass.summary;

  const nlohmann::json trace = nlohmann::json::parse(testing::read_gzip(pass.path));
  const auto kernels = testing::complete_events(trace, "kernel");
  const auto stages = testing::complete_events(trace, "stage");
  ASSERT_EQ(stages.size(), 4u * 3u * 7u) << "7 stages, 3 launches, 4 GPUs";
  for (const auto& stage : stages) {
    int inside = 0;
    for (const auto& k : kernels) {
      if (k.at("pid") != stage.at("pid") || std::string(k.at("name")).find("fused_moe_ep_kernel") == std::string::npos)
        continue;
      const double ts = stage.at("ts"), dur = stage.at("dur"), kts = k.at("ts"), kdur = k.at("dur");
      // CUPTI's start and CTA 0's first timestamp differ by the launch's ramp-up: allow 5 us.
      if (ts >= kts && ts + dur <= kts + kdur + 5.0) ++inside;
    }
    EXPECT_EQ(inside, 1) << stage.dump();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace moebench
