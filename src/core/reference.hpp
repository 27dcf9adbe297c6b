// The float64 reference MoE layer every implementation is checked against.
#pragma once

#include <span>
#include <vector>

#include "core/bf16.hpp"
#include "core/moe_shape.hpp"
#include "core/router.hpp"
#include "core/weights.hpp"

namespace moebench {

// out[t] = sum_j w[t,j] * (act(x W_gate[e], x W_up[e]) W_down[e]), e = ids[t,j], in float64 from
// the bf16 inputs and the given routing. Returns (T, H) row-major.
std::vector<double> reference_moe(std::span<const bf16_bits> hidden_states, const Routing& routing,
                                  const EpWeights& weights, Activation activation);

// ||a - b|| / ||b|| (Frobenius). NaN anywhere in a gives NaN.
double relative_error(std::span<const float> a, std::span<const double> b);
double relative_error(std::span<const float> a, std::span<const float> b);

}  // namespace moebench
