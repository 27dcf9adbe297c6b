// The CPU backend's fp8 paths (docs/fp8.md) against the float64 reference of the quantized layer,
// on one device and on simulated EP x TP meshes, with sizes 128 does not divide; what the
// dispatch moves; and how far fp8 lands from the bf16 layer of the same seed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "backend/implementation.hpp"
#include "core/errors.hpp"
#include "core/reference.hpp"
#include "core/reference_fp8.hpp"
#include "cpu/cpu_moe.hpp"

namespace moebench {
namespace {

struct Fp8Case {
  std::int64_t E, k, H, I, T;
  int tp_size = 1, ep_size = 1;
  Activation activation = Activation::kSilu;
};

std::string describe(const Fp8Case& c) {
  return "E=" + std::to_string(c.E) + " k=" + std::to_string(c.k) + " H=" + std::to_string(c.H) +
         " I=" + std::to_string(c.I) + " T=" + std::to_string(c.T) + " tp=" + std::to_string(c.tp_size) +
         " ep=" + std::to_string(c.ep_size) + " " + std::string(activation_name(c.activation));
}

Problem fp8_problem(const Fp8Case& c) {
  Problem p;
  p.shape.num_experts = c.E;
  p.shape.top_k = c.k;
  p.shape.hidden_size = c.H;
  p.shape.intermediate_size = c.I;
  p.shape.activation = c.activation;
  p.layout.tp_size = c.tp_size;
  p.layout.ep_size = c.ep_size;
  p.dtype = WeightDtype::kFp8Block128;
  return p;
}

// One iteration of `make` on the case's inputs; its output.
std::vector<float> run_once(decltype(&cpu::make_cpu_fused) make, const Problem& p, const EpWeights& w,
                            const CaseInputs& in) {
  auto impl = make(p, w);
  impl->prepare(in);
  impl->run_iteration();
  impl->run_iteration();  // a second iteration must not accumulate onto the first
  return impl->output();
}

// Tokens whose output differs from the reference's by more than f32 rounding (1e-5 relative), each
// checked to be within what a few flipped codes of h can do (5e-2).
std::int64_t tokens_off(const std::vector<float>& out, const std::vector<double>& expected, std::int64_t H,
                        const std::string& what) {
  std::int64_t off = 0;
  for (std::size_t first = 0; first < expected.size(); first += static_cast<std::size_t>(H)) {
    const auto n = static_cast<std::size_t>(H);
    const double err = relative_error(std::span(out).subspan(first, n), std::span(expected).subspan(first, n));
    EXPECT_LT(err, 5e-2) << what << ", token " << first / n;
    off += err > 1e-5 ? 1 : 0;
  }
  return off;
}

// Both paths against the fp8 reference. They differ by f32 rounding (the sums' order, q * s rounded
// to f32): about 3e-7. Beyond that, an h whose f32 value lands on the other side of an e4m3
// rounding boundary than the reference's float64 h takes the neighbouring code, moving its
// token's output by up to about 1e-2; that is rare (about one h value in 10^5),
// so at most a tenth of the tokens (and at least one) may show it.
void check_case(const Fp8Case& c, std::uint64_t seed) {
  const Problem p = fp8_problem(c);
  const EpWeights weights = generate_ep_weights(p.shape, seed);
  const CaseInputs in = make_case_inputs(p.shape, {Scenario::kRandom, c.T}, 2.0, seed);
  const Routing routing = route_all(in.router_logits, c.T, static_cast<int>(c.E), static_cast<int>(c.k), {});
  const std::vector<double> expected =
      reference_moe_fp8(in.hidden_states, routing, quantize_ep_weights(weights), c.activation);
  for (auto make : {cpu::make_cpu_fused, cpu::make_cpu_epmoe}) {
    const std::vector<float> out = run_once(make, p, weights, in);
    ASSERT_EQ(out.size(), expected.size());
    const std::string what = (make == cpu::make_cpu_fused ? "fused " : "epmoe ") + describe(c);
    EXPECT_LE(tokens_off(out, expected, c.H, what), std::max<std::int64_t>(1, c.T / 10)) << what;
  }
}

TEST(CpuFp8, MatchesTheQuantizedReferenceOnOneDevice) {
  std::uint64_t seed = 400;
  for (Activation act : {Activation::kSilu, Activation::kGelu, Activation::kSwigluOai})
    check_case({8, 2, 256, 384, 17, 1, 1, act}, ++seed);
  check_case({16, 4, 128, 128, 65}, ++seed);  // one block each way
  check_case({8, 1, 64, 96, 1}, ++seed);      // smaller than one block
}

TEST(CpuFp8, SizesThat128DoesNotDivideHaveAShortLastBlock) {
  std::uint64_t seed = 500;
  check_case({8, 2, 200, 300, 33}, ++seed);
  check_case({4, 2, 130, 129, 9, 1, 1, Activation::kGelu}, ++seed);
  // gpt-oss: hidden 2880 = 22.5 blocks of 128, the clamped SwiGLU.
  check_case({4, 2, 2880, 192, 8, 1, 1, Activation::kSwigluOai}, ++seed);
}

TEST(CpuFp8, MatchesTheQuantizedReferenceOnSimulatedMeshes) {
  std::uint64_t seed = 600;
  for (auto [tp, ep] : {std::pair{2, 2}, {4, 4}, {4, 2}, {2, 1}, {4, 1}, {8, 8}}) {
    // Each device's intermediate slice must be whole 128-channel groups: I a multiple of 128 * TP.
    const std::int64_t I = 128 * (tp / ep);
    check_case({16, 4, 200, I, 29, tp, ep}, ++seed);
  }
}

TEST(CpuFp8, RefusesSlicesThatSplitAGroup) {
  const Problem p = fp8_problem({8, 2, 128, 300, 4, 2, 1});
  const EpWeights weights = generate_ep_weights(p.shape, 1);
  EXPECT_THROW(cpu::make_cpu_fused(p, weights), UsageError);
  EXPECT_THROW(cpu::make_cpu_epmoe(p, weights), UsageError);
  EXPECT_NE(dtype_layout_problem(p).find("multiple of 256"), std::string::npos) << dtype_layout_problem(p);
  Problem bf16 = p;
  bf16.dtype = WeightDtype::kBf16;
  EXPECT_EQ(dtype_layout_problem(bf16), "");
}

// Rows of (token, slot) pairs whose expert's devices are not the token's own device, over every
// TP rank of the expert's group: what a dispatch moves between devices.
std::int64_t remote_rows(const Problem& p, const Routing& r) {
  const DeviceMesh mesh = p.mesh();
  std::int64_t rows = 0;
  for (std::int64_t t = 0; t < r.num_tokens; ++t) {
    int owner = 0;
    while (!mesh.token_range(r.num_tokens, owner).contains(t)) ++owner;
    for (int j = 0; j < r.top_k; ++j) {
      const int ep_rank = mesh.expert_owner(r.expert_ids[static_cast<std::size_t>(t * r.top_k + j)]);
      for (int tp_rank = 0; tp_rank < mesh.tp_actual(); ++tp_rank) rows += mesh.device({ep_rank, tp_rank}) != owner;
    }
  }
  return rows;
}

TEST(CpuFp8, DispatchSendsE4m3RowsWithTheirScales) {
  for (auto [tp, ep] : {std::pair{4, 4}, {4, 2}, {1, 1}}) {
    Problem p = fp8_problem({8, 4, 1000, 256, 30, tp, ep});
    const EpWeights weights = generate_ep_weights(p.shape, 7);
    const CaseInputs in = make_case_inputs(p.shape, {Scenario::kRandom, 30}, 2.0, 7);
    const Routing routing = route_all(in.router_logits, 30, 8, 4, {});
    const std::int64_t rows = remote_rows(p, routing);
    EXPECT_EQ(rows == 0, tp == 1);
    std::optional<ExchangeBytes> bytes[2];
    for (WeightDtype dtype : {WeightDtype::kBf16, WeightDtype::kFp8Block128}) {
      p.dtype = dtype;
      auto epmoe = cpu::make_cpu_epmoe(p, weights);
      epmoe->prepare(in);
      epmoe->run_iteration();
      bytes[static_cast<int>(dtype)] = epmoe->last_exchange_bytes();
    }
    ASSERT_TRUE(bytes[0] && bytes[1]);
    // H = 1000: 1000 codes and 8 scales per fp8 row, 2000 bytes per bf16 row; y comes back in bf16.
    EXPECT_EQ(bytes[1]->dispatch, rows * (1000 + 8 * 4));
    EXPECT_EQ(bytes[0]->dispatch, rows * 2000);
    EXPECT_EQ(bytes[1]->combine, rows * 2000);
    EXPECT_EQ(bytes[0]->combine, bytes[1]->combine);
  }
}

TEST(CpuFp8, LandsWithinAFewPercentOfTheBf16Layer) {
  // The same seed's bf16 layer is the fp8 layer's unquantized twin: the gap is FP8's own error.
  Problem p = fp8_problem({8, 2, 1024, 512, 32});
  const EpWeights weights = generate_ep_weights(p.shape, 42);
  const CaseInputs in = make_case_inputs(p.shape, {Scenario::kRandom, 32}, 2.0, 42);
  const std::vector<float> fp8 = run_once(cpu::make_cpu_epmoe, p, weights, in);
  p.dtype = WeightDtype::kBf16;
  const std::vector<float> bf16 = run_once(cpu::make_cpu_epmoe, p, weights, in);
  const double err = relative_error(fp8, bf16);
  RecordProperty("fp8_vs_bf16_rel_err", std::to_string(err));
  std::printf("fp8 vs bf16 relative error: %.3e\n", err);
  EXPECT_GT(err, 1e-3);
  EXPECT_LT(err, 0.1);
}

}  // namespace
}  // namespace moebench
