// The MoE layer's shape: what a model config or the manual flags describe.
#pragma once

#include <cstdint>
#include <string>

#include "core/activation.hpp"
#include "core/dtype.hpp"
#include "core/router.hpp"
#include "core/weight_naming.hpp"

namespace moebench {

struct MoeShape {
  std::int64_t num_experts = 0;        // E
  std::int64_t top_k = 0;              // k, experts per token
  std::int64_t hidden_size = 0;        // H
  std::int64_t intermediate_size = 0;  // I, per expert
  Activation activation = Activation::kSilu;
  RouterConfig router;
  std::string model_name;  // empty for a manual config
  // The config's model_type ("" for a manual config) and how that family's checkpoints name the
  // expert weights: what --save-tensors writes (docs/saved_tensors.md).
  std::string model_type;
  WeightNaming weight_naming = WeightNaming::kPerExpertProj;
  // The config's quantization_config (none for a manual config): what --dtype model follows.
  CheckpointQuantization checkpoint_quantization;

  // "128 experts, top-8, hidden 2048, intermediate 768, silu"
  std::string describe() const;
};

}  // namespace moebench
