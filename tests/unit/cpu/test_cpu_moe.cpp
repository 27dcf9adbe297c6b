// Both CPU paths against the float64 reference, on one device and on simulated EP x TP meshes.
#include <gtest/gtest.h>

#include <cmath>

#include "backend/implementation.hpp"
#include "core/reference.hpp"
#include "cpu/cpu_moe.hpp"

namespace moebench {
namespace {

struct MoeCase {
  std::int64_t E, k, H, I, T;
  int tp_size = 1, ep_size = 1;
  Scenario scenario = Scenario::kRandom;
  Activation activation = Activation::kSilu;
  double imbalance_factor = 2.0;
};

std::string describe(const MoeCase& c) {
  return "E=" + std::to_string(c.E) + " k=" + std::to_string(c.k) + " H=" + std::to_string(c.H) +
         " I=" + std::to_string(c.I) + " T=" + std::to_string(c.T) + " tp=" + std::to_string(c.tp_size) +
         " ep=" + std::to_string(c.ep_size) + " " + std::string(scenario_name(c.scenario)) + " " +
         std::string(activation_name(c.activation));
}

// Runs both paths; checks each against the reference and that every output element was written.
void check_case(const MoeCase& c, std::uint64_t seed) {
  Problem problem;
  problem.shape.num_experts = c.E;
  problem.shape.top_k = c.k;
  problem.shape.hidden_size = c.H;
  problem.shape.intermediate_size = c.I;
  problem.shape.activation = c.activation;
  problem.layout.tp_size = c.tp_size;
  problem.layout.ep_size = c.ep_size;
  const EpWeights weights = generate_ep_weights(problem.shape, seed);
  const CaseInputs inputs = make_case_inputs(problem.shape, {c.scenario, c.T}, c.imbalance_factor, seed);
  const Routing routing = route_all(inputs.router_logits, c.T, static_cast<int>(c.E), static_cast<int>(c.k), {});
  const std::vector<double> expected = reference_moe(inputs.hidden_states, routing, weights, c.activation);

  for (auto make : {cpu::make_cpu_fused, cpu::make_cpu_epmoe}) {
    auto impl = make(problem, weights);
    impl->prepare(inputs);
    impl->run_iteration();
    impl->run_iteration();  // a second iteration must not accumulate onto the first
    const std::vector<float> out = impl->output();
    ASSERT_EQ(out.size(), expected.size());
    double norm = 0;
    for (double v : expected) norm += v * v;
    ASSERT_GT(norm, 0.0) << describe(c);
    EXPECT_LT(relative_error(out, expected), 1e-5) << impl_name(impl->kind()) << " " << describe(c);
  }
}

TEST(CpuMoe, MatchesReferenceOnOneDevice) {
  std::uint64_t seed = 100;
  for (Activation act : {Activation::kSilu, Activation::kGelu, Activation::kSwigluOai}) {
    check_case({8, 2, 64, 96, 37, 1, 1, Scenario::kRandom, act}, ++seed);
  }
  for (Scenario s : {Scenario::kRandom, Scenario::kBalanced, Scenario::kImbalanced}) {
    check_case({16, 4, 48, 72, 65, 1, 1, s}, ++seed);
  }
  check_case({60, 4, 40, 33, 3, 1, 1}, ++seed);  // most experts get no token
  check_case({8, 1, 32, 130, 1, 1, 1}, ++seed);  // a single token
  check_case({4, 4, 24, 20, 50, 1, 1}, ++seed);  // k = E: every expert gets every token
  check_case({128, 8, 32, 24, 257, 1, 1}, ++seed);
}

TEST(CpuMoe, MatchesReferenceOnSimulatedMeshes) {
  std::uint64_t seed = 200;
  for (auto [tp, ep] : {std::pair{2, 2}, {4, 4}, {4, 2}, {4, 1}, {2, 1}, {8, 8}, {8, 4}, {8, 2}, {8, 1}}) {
    check_case({16, 4, 40, 52, 61, tp, ep, Scenario::kRandom}, ++seed);
    check_case({16, 2, 24, 17, 5, tp, ep, Scenario::kImbalanced, Activation::kSwigluOai}, ++seed);
  }
}

TEST(CpuMoe, OneExpertReceivesEveryToken) {
  // Imbalanced at its ceiling E/k: expert 0 is in every token's top-k.
  check_case({8, 2, 32, 40, 64, 2, 2, Scenario::kImbalanced, Activation::kSilu, 4.0}, 300);
  check_case({8, 2, 32, 40, 64, 1, 1, Scenario::kImbalanced, Activation::kGelu, 4.0}, 301);
}

}  // namespace
}  // namespace moebench
