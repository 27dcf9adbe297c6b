// The fp8 reference against the same layer written the other way round: dequantize every operand
// in float64 first, then plain dot products. The two agree to float64 rounding, since per-block
// scaling is only a regrouping of the same exact products.
#include <gtest/gtest.h>

#include <cmath>

#include "core/case_inputs.hpp"
#include "core/reference.hpp"
#include "core/reference_fp8.hpp"

namespace moebench {
namespace {

// The dequantized values of a row quantized per 128 channels, in float64.
std::vector<double> quantized_values(std::span<const float> row) {
  std::vector<e4m3_bits> codes(row.size());
  std::vector<float> scales(static_cast<std::size_t>(fp8_blocks(static_cast<std::int64_t>(row.size()))));
  quantize_row(row, codes, scales);
  std::vector<double> out(row.size());
  for (std::size_t c = 0; c < row.size(); ++c)
    out[c] = static_cast<double>(e4m3_to_float(codes[c])) * static_cast<double>(scales[c / 128]);
  return out;
}

double dequantized(const Fp8Projection& p, std::int64_t e, std::int64_t k, std::int64_t n) {
  return static_cast<double>(e4m3_to_float(p.code(e, k, n))) * static_cast<double>(p.scale(e, k, n));
}

std::vector<double> dequantize_first(std::span<const bf16_bits> hidden, const Routing& r, const Fp8EpWeights& w,
                                     Activation act) {
  const std::int64_t H = w.hidden, I = w.intermediate;
  std::vector<double> out(static_cast<std::size_t>(r.num_tokens * H), 0.0);
  for (std::int64_t t = 0; t < r.num_tokens; ++t) {
    std::vector<float> x(static_cast<std::size_t>(H)), h(static_cast<std::size_t>(I));
    bf16_to_float(hidden.subspan(static_cast<std::size_t>(t * H), static_cast<std::size_t>(H)), x);
    const std::vector<double> xq = quantized_values(x);
    for (int j = 0; j < r.top_k; ++j) {
      const std::int64_t e = r.expert_ids[static_cast<std::size_t>(t * r.top_k + j)];
      for (std::int64_t i = 0; i < I; ++i) {
        double gate = 0, up = 0;
        for (std::int64_t c = 0; c < H; ++c) {
          gate += xq[c] * dequantized(w.gate, e, c, i);
          up += xq[c] * dequantized(w.up, e, c, i);
        }
        h[static_cast<std::size_t>(i)] = static_cast<float>(apply_activation(act, gate, up));
      }
      const std::vector<double> hq = quantized_values(h);
      for (std::int64_t c = 0; c < H; ++c) {
        double y = 0;
        for (std::int64_t i = 0; i < I; ++i) y += hq[i] * dequantized(w.down, e, i, c);
        out[static_cast<std::size_t>(t * H + c)] += r.weights[static_cast<std::size_t>(t * r.top_k + j)] * y;
      }
    }
  }
  return out;
}

MoeShape shape_of(std::int64_t E, std::int64_t k, std::int64_t H, std::int64_t I, Activation act) {
  MoeShape s;
  s.num_experts = E;
  s.top_k = k;
  s.hidden_size = H;
  s.intermediate_size = I;
  s.activation = act;
  return s;
}

TEST(ReferenceFp8, PerBlockScalingEqualsDequantizingFirst) {
  for (const MoeShape& s : {shape_of(4, 2, 256, 384, Activation::kSilu), shape_of(3, 2, 200, 300, Activation::kGelu),
                            shape_of(2, 1, 130, 45, Activation::kSwigluOai)}) {
    const Fp8EpWeights w = quantize_ep_weights(generate_ep_weights(s, 11));
    const CaseInputs in = make_case_inputs(s, {Scenario::kRandom, 5}, 2.0, 11);
    const Routing r = route_all(in.router_logits, 5, static_cast<int>(s.num_experts), static_cast<int>(s.top_k), {});
    const std::vector<double> a = reference_moe_fp8(in.hidden_states, r, w, s.activation);
    const std::vector<double> b = dequantize_first(in.hidden_states, r, w, s.activation);
    double diff = 0, norm = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      diff += (a[i] - b[i]) * (a[i] - b[i]);
      norm += b[i] * b[i];
    }
    ASSERT_GT(norm, 0);
    // Only float64 rounding apart, unless h lands on an e4m3 rounding boundary in one and not the
    // other (a different sum order moves it by 1e-16): that flips one code, far above 1e-12.
    EXPECT_LT(std::sqrt(diff / norm), 1e-12) << s.describe();
  }
}

TEST(ReferenceFp8, IsTheBf16LayerUpToQuantization) {
  // The property FP8 trades for its speed: a few percent of the output's norm, not more.
  const MoeShape s = shape_of(8, 2, 512, 256, Activation::kSilu);
  const EpWeights bf16 = generate_ep_weights(s, 21);
  const CaseInputs in = make_case_inputs(s, {Scenario::kRandom, 16}, 2.0, 21);
  const Routing r = route_all(in.router_logits, 16, 8, 2, {});
  const std::vector<double> exact = reference_moe(in.hidden_states, r, bf16, s.activation);
  const std::vector<double> fp8 = reference_moe_fp8(in.hidden_states, r, quantize_ep_weights(bf16), s.activation);
  std::vector<float> fp8_f(fp8.begin(), fp8.end());
  const double err = relative_error(fp8_f, exact);
  EXPECT_GT(err, 1e-3) << "quantization should be visible";
  EXPECT_LT(err, 0.08);
}

}  // namespace
}  // namespace moebench
