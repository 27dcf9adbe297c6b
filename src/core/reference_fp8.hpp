// The float64 reference of the fp8 layer (docs/fp8.md), which the CPU backend's fp8 paths are
// tested against now and the GPU's will be.
#pragma once

#include <span>
#include <vector>

#include "core/activation.hpp"
#include "core/bf16.hpp"
#include "core/fp8_weights.hpp"
#include "core/router.hpp"

namespace moebench {

// reference_moe's layer on quantized operands: x quantized per token per 128 channels, each GEMM
// a sum over 128-wide K blocks of s_act * s_w * sum(q_act * q_w) in float64 (exact products of
// e4m3 values, so the only rounding is float64's), the activation in float64, h rounded to f32
// and quantized like x before the down GEMM. (T, H) row-major.
std::vector<double> reference_moe_fp8(std::span<const bf16_bits> hidden_states, const Routing& routing,
                                      const Fp8EpWeights& weights, Activation activation);

}  // namespace moebench
