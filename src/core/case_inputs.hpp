// One case's synthetic inputs, global and in token order: hidden states N(0,1) * 0.02 in bf16 and
// the scenario's router logits, the same for every implementation and backend.
#pragma once

#include <cstdint>
#include <vector>

#include "core/bf16.hpp"
#include "core/moe_shape.hpp"
#include "core/problem.hpp"

namespace moebench {

// x (T, H) bf16 and router logits (T, E) f32.
struct CaseInputs {
  BenchCase bench_case;
  std::vector<bf16_bits> hidden_states;
  std::vector<float> router_logits;
};

CaseInputs make_case_inputs(const MoeShape& shape, const BenchCase& bench_case, double imbalance_factor,
                            std::uint64_t seed);

}  // namespace moebench
