// State both CPU paths share: the problem, its mesh, and one case's inputs and output in f32.
#pragma once

#include <algorithm>
#include <limits>
#include <vector>

#include "backend/implementation.hpp"
#include "core/bf16.hpp"
#include "core/mesh.hpp"

namespace moebench::cpu {

class CpuMoeBase : public MoeImplementation {
 public:
  explicit CpuMoeBase(const Problem& problem) : problem_(problem), mesh_(problem.mesh()) {}

  void prepare(const CaseInputs& inputs) override {
    num_tokens_ = inputs.bench_case.num_tokens;
    hidden_.resize(inputs.hidden_states.size());
    bf16_to_float(inputs.hidden_states, hidden_);
    logits_ = inputs.router_logits;
    output_.assign(static_cast<std::size_t>(num_tokens_ * problem_.shape.hidden_size), 0.0f);
  }

  std::vector<float> output() override { return output_; }
  void poison_output() override { std::fill(output_.begin(), output_.end(), std::numeric_limits<float>::quiet_NaN()); }

 protected:
  std::int64_t H() const { return problem_.shape.hidden_size; }
  std::int64_t E() const { return problem_.shape.num_experts; }
  int k() const { return static_cast<int>(problem_.shape.top_k); }

  Problem problem_;
  DeviceMesh mesh_;
  std::int64_t num_tokens_ = 0;
  // Global arrays; device d reads and writes only its token rows mesh_.token_range(T, d),
  // except where the algorithm says it communicates.
  std::vector<float> hidden_;  // (T, H), bf16 values
  std::vector<float> logits_;  // (T, E)
  std::vector<float> output_;  // (T, H)
};

}  // namespace moebench::cpu
