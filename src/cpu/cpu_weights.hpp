// The weights as the CPU paths read them: f32 in the EP layout, one expert at a time, so that a
// path holds its own copy and at most one expert more. For fp8, the values the quantized weights
// stand for (docs/fp8.md): weights never change, so dequantizing them once, before timing, is the
// same emulation as dequantizing each block inside every GEMM.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/dtype.hpp"
#include "core/fp8_weights.hpp"
#include "core/weights.hpp"

namespace moebench::cpu {

// One expert's matrices, row-major: gate (H, I), up (H, I), down (I, H).
struct ExpertMatrices {
  std::vector<float> gate, up, down;
};

class ExpertWeights {
 public:
  // fp8: quantizes `weights` here, once, for every expert.
  ExpertWeights(const EpWeights& weights, WeightDtype dtype);

  std::int64_t num_experts() const { return bf16_.num_experts; }
  // bf16: the values exactly. fp8: e4m3 code * block scale, rounded once to f32.
  ExpertMatrices expert(std::int64_t e) const;

 private:
  const EpWeights& bf16_;
  std::optional<Fp8EpWeights> fp8_;
};

}  // namespace moebench::cpu
