// Per-case synthetic inputs: hidden states N(0,1)*0.02 in bf16, router logits from the scenario.
#include "core/case_inputs.hpp"

#include "core/random.hpp"
#include "core/scenario.hpp"
#include "core/weights.hpp"

namespace moebench {

CaseInputs make_case_inputs(const MoeShape& shape, const BenchCase& bench_case, double imbalance_factor,
                            std::uint64_t seed) {
  CaseInputs in;
  in.bench_case = bench_case;
  in.hidden_states.resize(static_cast<std::size_t>(bench_case.num_tokens * shape.hidden_size));
  const auto substream =
      (static_cast<std::uint64_t>(bench_case.scenario) << 48) ^ static_cast<std::uint64_t>(bench_case.num_tokens);
  fill_normal_bf16(CounterRng(seed, RngStream::kHiddenStates, substream), kSyntheticScale, in.hidden_states);
  ScenarioRequest request;
  request.scenario = bench_case.scenario;
  request.num_tokens = bench_case.num_tokens;
  request.num_experts = static_cast<int>(shape.num_experts);
  request.top_k = static_cast<int>(shape.top_k);
  request.imbalance_factor = imbalance_factor;
  request.router = shape.router;
  request.seed = seed;
  in.router_logits = generate_router_logits(request);
  return in;
}

}  // namespace moebench
