// libFuzzer target: a config.json file through the JSON reader (src/model/json_file.cpp),
// the key resolution (src/model/model_config.cpp: first key found wins, text_config, per-layer
// lists, router keys) and the limits every config passes (validate_shape), then what an accepted
// shape drives: the imbalanced scenario's range and a few tokens of logits routed by its router.
// Bad input may only throw UsageError, which main() turns into one line and exit code 2.
#include <cstddef>
#include <cstdint>
#include <string>

#include "cli/validate.hpp"
#include "core/errors.hpp"
#include "core/router.hpp"
#include "core/scenario.hpp"
#include "memfd_file.hpp"
#include "model/model_config.hpp"

namespace {

// Routes a handful of tokens of each scenario: grouped routers and the imbalanced scenario's
// calibration read n_group, topk_group and the sizes straight from the config.
void drive_router(const moebench::MoeShape& shape) {
  using namespace moebench;
  const int experts = static_cast<int>(shape.num_experts), top_k = static_cast<int>(shape.top_k);
  const FactorRange range = imbalanced_factor_range(experts, top_k, shape.router);
  for (Scenario scenario : {Scenario::kRandom, Scenario::kBalanced, Scenario::kImbalanced}) {
    ScenarioRequest request;
    request.scenario = scenario;
    request.num_tokens = 3;
    request.num_experts = experts;
    request.top_k = top_k;
    request.imbalance_factor = range.max;
    request.router = shape.router;
    const std::vector<float> logits = generate_router_logits(request);
    const Routing routing = route_all(logits, request.num_tokens, experts, top_k, shape.router);
    if (routing.expert_ids.size() != static_cast<std::size_t>(request.num_tokens * top_k)) __builtin_trap();
    for (std::int32_t id : routing.expert_ids)
      if (id < 0 || id >= experts) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static moebench::fuzz::MemoryFile file;
  const std::string& path = file.hold(data, size);
  try {
    // What --model-path does with a .json file: read, parse, resolve the keys, check the limits.
    const moebench::MoeShape shape = moebench::shape_from_config_file(path);
    moebench::validate_shape(shape, path);
    (void)shape.describe();
    drive_router(shape);
  } catch (const moebench::UsageError&) {
    // The expected answer to a bad config; any other exception escapes and is a finding.
  }
  return 0;
}
