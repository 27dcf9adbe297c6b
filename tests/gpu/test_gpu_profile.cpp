// --profile on the GPU: CUPTI kernel events in the trace, each inside its iteration's range, and
// the kernel time of an iteration within 10% of the CUDA-event time of an eager iteration, and
// fused's own phase stamps on a track of their own.
#include <gtest/gtest.h>

#include <filesystem>
#include <numeric>

#include "moe_kernels/fused_stages.hpp"
#include "profile/profiler.hpp"
#include "runner/backend.hpp"
#include "runner/backend_factory.hpp"
#include "support/process.hpp"
#include "support/trace_reader.hpp"

namespace moebench {
namespace {

TEST(GpuProfile, KernelsInsideIterationsAndMatchingEventTime) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device: the gpu tests run on a GPU machine (bench/device_run.sh)";
  const std::string dir = testing::make_temp_dir("moebench-gpu-profile");
  BenchmarkPlan plan;
  plan.profile = true;
  plan.profile_dir = dir;
  plan.command_line = "gpu_tests";
  plan.problem.shape.num_experts = 128;
  plan.problem.shape.top_k = 8;
  plan.problem.shape.hidden_size = 2048;
  plan.problem.shape.intermediate_size = 768;
  auto backend = make_cuda_backend();
  const EpWeights weights = generate_ep_weights(plan.problem.shape, 5);
  const BenchCase bench_case{Scenario::kRandom, 1024};
  const CaseInputs inputs = make_case_inputs(plan.problem.shape, bench_case, 2.0, 5);
  Profiler profiler(plan, "cuda", true);
  for (ImplKind kind : {ImplKind::kFused, ImplKind::kEpMoe}) {
    auto impl = backend->create(kind, plan.problem, weights);
    impl->prepare(inputs);
    const std::atomic<bool> stop{false};
    const auto samples = backend->time_iterations(*impl, TimingConfig{2, 10, false, false}, stop);
    const double event_ms = *std::min_element(samples.begin(), samples.end());

    const ProfiledPass pass = profiler.profile(
        bench_case, kind, 3,
        [&](int) {
          impl->run_iteration();
          backend->synchronize();
        },
        [&] { return impl->last_kernel_stages(); });
    ASSERT_FALSE(pass.path.empty());
    const nlohmann::json trace = nlohmann::json::parse(testing::read_gzip(pass.path));
    const auto iterations = testing::complete_events(trace, "iteration");
    const auto kernels = testing::complete_events(trace, "kernel");
    ASSERT_EQ(iterations.size(), 3u);
    ASSERT_FALSE(kernels.empty()) << "no CUPTI kernel events";
    std::vector<double> kernel_us(iterations.size(), 0.0);
    for (const auto& k : kernels) {
      EXPECT_TRUE(k.at("args").contains("grid"));
      EXPECT_TRUE(k.at("args").contains("registers_per_thread"));
      const double ts = k.at("ts"), dur = k.at("dur");
      int inside = 0;
      for (std::size_t i = 0; i < iterations.size(); ++i) {
        const double its = iterations[i].at("ts"), idur = iterations[i].at("dur");
        if (ts >= its && ts + dur <= its + idur) {
          ++inside;
          kernel_us[i] += dur;
        }
      }
      EXPECT_EQ(inside, 1) << impl_name(kind) << " " << k.dump();
    }
    for (double us : kernel_us) {
      EXPECT_NEAR(us / 1e3, event_ms, 0.1 * event_ms) << impl_name(kind) << ": kernel time vs CUDA-event time";
    }
    // fused times its own phases: each iteration's stage spans tile its kernel.
    const auto stages = testing::complete_events(trace, "stage");
    if (kind == ImplKind::kFused) {
      ASSERT_EQ(stages.size(), 3u * moe_kernels::kFusedStageCount);
      double stage_us = 0;
      for (const auto& st : stages) stage_us += static_cast<double>(st.at("dur"));
      const double all_kernel_us = std::accumulate(kernel_us.begin(), kernel_us.end(), 0.0);
      EXPECT_NEAR(stage_us, all_kernel_us, 0.05 * all_kernel_us) << "stages vs kernel time";
    } else {
      EXPECT_TRUE(stages.empty());
    }
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace moebench
