// The expert weights as a model family's checkpoints name and lay them out (docs/saved_tensors.md),
// made from the EP-format weights as they are written, one block at a time: a file of several GiB
// never needs a second copy of the weights in memory.
#pragma once

#include <vector>

#include "core/weight_naming.hpp"
#include "core/weights.hpp"
#include "output/safetensors_writer.hpp"

namespace moebench {

// The tensors of weights.safetensors, in file order, all bf16; they read `weights` when written, so
// it must outlive the write.
//   per_expert_proj: experts.{e}.gate_proj.weight (I, H), .up_proj.weight (I, H), .down_proj.weight (H, I)
//   mixtral:         experts.{e}.w1.weight (gate), .w3.weight (up), .w2.weight (down), the same shapes
//   gpt_oss:         experts.gate_up_proj (E, H, 2I) [gate at even, up at odd columns],
//                    experts.gate_up_proj_bias (E, 2I) zeros, experts.down_proj (E, I, H),
//                    experts.down_proj_bias (E, H) zeros
//   llama4:          experts.gate_up_proj (E, H, 2I) [gate columns, then up], experts.down_proj (E, I, H)
//   granitemoe:      input_linear.weight (E, 2I, H) [gate rows, then up], output_linear.weight (E, H, I)
// (An FP8 layer would add each matrix's block scales beside it, `<name>_scale_inv`, as DeepSeek-V3's
// checkpoints do.)
std::vector<SafetensorsTensor> checkpoint_tensors(const EpWeights& weights, WeightNaming naming);

}  // namespace moebench
