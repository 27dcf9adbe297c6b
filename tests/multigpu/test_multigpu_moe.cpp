// Both CUDA paths over 2 and 4 GPUs in every EP x TP layout of the issue, against the float64
// reference and against the same path on one GPU, with the output poisoned before every run.
// Skipped (not passed) where the machine has fewer GPUs than a layout needs.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>

#include "backend/backend.hpp"
#include "core/errors.hpp"
#include "core/fp8_weights.hpp"
#include "core/reference.hpp"
#include "core/reference_fp8.hpp"
#include "cuda/cuda_backend.hpp"

namespace moebench {
namespace {

struct MeshCase {
  std::int64_t T, E, k, H, I;
  Activation activation = Activation::kSilu;
  Scenario scenario = Scenario::kRandom;
  double imbalance_factor = 2.0;
};

std::string describe(const MeshCase& c, const Layout& l) {
  return fmt::format("tp={} ep={} T={} E={} k={} H={} I={} {} {}", l.tp_size, l.ep_size, c.T, c.E, c.k, c.H, c.I,
                     activation_name(c.activation), scenario_name(c.scenario));
}

Problem problem_of(const MeshCase& c, const Layout& layout) {
  Problem p;
  p.shape.num_experts = c.E;
  p.shape.top_k = c.k;
  p.shape.hidden_size = c.H;
  p.shape.intermediate_size = c.I;
  p.shape.activation = c.activation;
  p.layout = layout;
  return p;
}

// Poisons, runs one iteration, returns the output; every element must have been written.
std::vector<float> run_once(MoeImplementation& impl, const std::string& what) {
  impl.poison_output();
  impl.run_iteration();
  std::vector<float> out = impl.output();
  const auto unwritten = std::count_if(out.begin(), out.end(), [](float v) { return std::isnan(v); });
  EXPECT_EQ(unwritten, 0) << what;
  return out;
}

// Both paths on `layout` against the float64 reference (of the quantized layer for fp8) and against
// the same path on one GPU. fp8's bound against its reference is 2e-2, the issue's: an h value at
// an e4m3 rounding boundary may take the next code on the GPU.
class MultiGpuMoe : public ::testing::Test {
 protected:
  void check_layout(const Layout& layout, const std::vector<MeshCase>& cases, WeightDtype dtype = WeightDtype::kBf16) {
    if (cuda_device_count() < layout.tp_size)
      GTEST_SKIP() << fmt::format("needs {} GPUs, this machine has {}", layout.tp_size, cuda_device_count());
    const bool fp8 = dtype == WeightDtype::kFp8Block128;
    std::unique_ptr<Backend> one_gpu = make_cuda_backend();
    std::unique_ptr<Backend> mesh = make_cuda_backend(layout);
    std::uint64_t seed = (fp8 ? 2000 : 1000) + static_cast<std::uint64_t>(layout.tp_size * 10 + layout.ep_size);
    for (const MeshCase& c : cases) {
      Problem problem = problem_of(c, layout);
      problem.dtype = dtype;
      ASSERT_EQ(dtype_layout_problem(problem), "") << describe(c, layout);
      const EpWeights weights = generate_ep_weights(problem.shape, seed);
      const CaseInputs inputs = make_case_inputs(problem.shape, {c.scenario, c.T}, c.imbalance_factor, seed++);
      const Routing routing = route_all(inputs.router_logits, c.T, static_cast<int>(c.E), static_cast<int>(c.k), {});
      const std::vector<double> expected =
          fp8 ? reference_moe_fp8(inputs.hidden_states, routing, quantize_ep_weights(weights), c.activation)
              : reference_moe(inputs.hidden_states, routing, weights, c.activation);
      for (ImplKind kind : {ImplKind::kFused, ImplKind::kEpMoe}) {
        const std::string what = fmt::format("{}{} {}", impl_name(kind), fp8 ? " fp8" : "", describe(c, layout));
        Problem single = problem;
        single.layout = Layout{};
        auto alone = one_gpu->create(kind, single, weights);
        alone->prepare(inputs);
        const std::vector<float> baseline = run_once(*alone, what + " (one GPU)");
        auto impl = mesh->create(kind, problem, weights);
        impl->prepare(inputs);
        for (int run = 0; run < 2; ++run) {
          const std::vector<float> out = run_once(*impl, what);
          ASSERT_EQ(out.size(), expected.size());
          EXPECT_LT(relative_error(out, expected), fp8 ? 2e-2 : 1e-2) << what << " run " << run << " vs the reference";
          EXPECT_LT(relative_error(out, baseline), 1e-2) << what << " run " << run << " vs one GPU";
        }
      }
    }
  }
};

// The shapes every layout runs: tokens fewer than GPUs, H and I off the tile sizes (and I split
// unevenly over TP ranks), all activations and scenarios, one expert taking every token.
std::vector<MeshCase> mesh_cases() {
  return {
      {1, 8, 2, 64, 64},
      {3, 8, 1, 100, 60, Activation::kGelu},
      {64, 16, 4, 200, 136, Activation::kSwigluOai, Scenario::kBalanced},
      {65, 8, 2, 64, 192, Activation::kSilu, Scenario::kImbalanced, 4.0},  // expert 0 gets every token
      {257, 60, 4, 256, 176, Activation::kGelu, Scenario::kImbalanced, 3.0},
      {5, 64, 40, 64, 64},  // more slots than a warp has lanes
      {512, 128, 8, 512, 256},
  };
}

TEST_F(MultiGpuMoe, Ep2On2Gpus) { check_layout({2, 2, 1, 0}, mesh_cases()); }
TEST_F(MultiGpuMoe, Tp2On2Gpus) { check_layout({2, 1, 1, 0}, mesh_cases()); }
TEST_F(MultiGpuMoe, Ep4On4Gpus) { check_layout({4, 4, 1, 0}, mesh_cases()); }
TEST_F(MultiGpuMoe, Ep2Tp2On4Gpus) { check_layout({4, 2, 1, 0}, mesh_cases()); }
TEST_F(MultiGpuMoe, Tp4On4Gpus) { check_layout({4, 1, 1, 0}, mesh_cases()); }

// fp8's shapes: I whole 128-channel groups on every TP rank of every layout (512 = 4 x 128), H off
// the group size, tokens fewer than GPUs, an expert taking every token, thousands of rows.
std::vector<MeshCase> fp8_mesh_cases() {
  return {
      {1, 8, 2, 256, 512},
      {3, 8, 1, 200, 512, Activation::kGelu},
      {64, 16, 4, 320, 1024, Activation::kSwigluOai, Scenario::kBalanced},
      {65, 8, 2, 128, 512, Activation::kSilu, Scenario::kImbalanced, 4.0},  // expert 0 gets every token
      {257, 60, 4, 256, 512, Activation::kGelu, Scenario::kImbalanced, 3.0},
      {2048, 32, 8, 512, 512},
  };
}

TEST_F(MultiGpuMoe, Fp8On2Gpus) {
  for (int ep : {2, 1}) check_layout({2, ep, 1, 0}, fp8_mesh_cases(), WeightDtype::kFp8Block128);
}
TEST_F(MultiGpuMoe, Fp8On4Gpus) {
  for (int ep : {4, 2, 1}) check_layout({4, ep, 1, 0}, fp8_mesh_cases(), WeightDtype::kFp8Block128);
}

// One implementation through cases of growing T: the buffers and the symmetric window grow.
void check_growth(const Layout& layout) {
  if (cuda_device_count() < layout.tp_size) GTEST_SKIP() << "needs " << layout.tp_size << " GPUs";
  std::unique_ptr<Backend> mesh = make_cuda_backend(layout);
  const MeshCase shape{0, 32, 4, 256, 128};
  const Problem problem = problem_of(shape, layout);
  const EpWeights weights = generate_ep_weights(problem.shape, 7);
  for (ImplKind kind : {ImplKind::kFused, ImplKind::kEpMoe}) {
    auto impl = mesh->create(kind, problem, weights);
    for (std::int64_t T : {16, 1000, 64}) {
      const CaseInputs inputs =
          make_case_inputs(problem.shape, {Scenario::kRandom, T}, 2.0, 7 + static_cast<std::uint64_t>(T));
      const Routing routing = route_all(inputs.router_logits, T, 32, 4, {});
      const std::vector<double> expected = reference_moe(inputs.hidden_states, routing, weights, Activation::kSilu);
      impl->prepare(inputs);
      const std::vector<float> out = run_once(*impl, fmt::format("{} T={}", impl_name(kind), T));
      EXPECT_LT(relative_error(out, expected), 1e-2) << impl_name(kind) << " T=" << T;
    }
  }
}

TEST_F(MultiGpuMoe, BuffersGrowWithTheCaseUnderEp) { check_growth({2, 2, 1, 0}); }
TEST_F(MultiGpuMoe, BuffersGrowWithTheCaseUnderTp) { check_growth({4, 1, 1, 0}); }

// Thousands of tokens on every layout of 4 GPUs, each implementation fresh.
TEST_F(MultiGpuMoe, ThousandsOfTokensOn4Gpus) {
  for (int ep : {4, 2, 1}) check_layout({4, ep, 1, 0}, {{4096, 16, 4, 256, 128}});
}

// The seed's case-1 shapes under TP=4 (every GPU receives every row and keeps 192 of the 768
// intermediate columns), timed the way the benchmark times them. Before the fix in
// tile_pipeline.cuh a consumer warpgroup with no rows in a tile could wait on a stage one ring lap
// late and stop the kernel; this ran into it within 3 to 7 iterations on 4 H100s, every time.
TEST_F(MultiGpuMoe, ManyIterationsOfCase1UnderTp4NeverStall) {
  const Layout layout{4, 1, 1, 0};
  if (cuda_device_count() < layout.tp_size) GTEST_SKIP() << "needs 4 GPUs";
  std::unique_ptr<Backend> mesh = make_cuda_backend(layout, {}, 0, /*stuck_timeout_s=*/30);
  const Problem problem = problem_of({2048, 128, 8, 2048, 768}, layout);
  const EpWeights weights = generate_ep_weights(problem.shape, 11);
  auto fused = mesh->create(ImplKind::kFused, problem, weights);
  const std::atomic<bool> stop{false};
  for (std::int64_t T : {1024, 2048}) {
    fused->prepare(make_case_inputs(problem.shape, {Scenario::kRandom, T}, 2.0, 11));
    try {
      const std::vector<double> samples = mesh->time_iterations(*fused, TimingConfig{1, 40, true, false}, stop);
      EXPECT_EQ(samples.size(), 40u) << "T=" << T;
    } catch (const DeviceStuckError& e) {
      // A GPU is stuck for good: the destructors would wait on it forever.
      ADD_FAILURE() << "T=" << T << ": " << e.what();
      std::fflush(stdout);
      std::_Exit(1);
    }
  }
}

}  // namespace
}  // namespace moebench
