// The expert weights as a model family's checkpoints name and lay them out (docs/saved_tensors.md),
// made from the EP-format weights (bf16, or e4m3 codes and their scales) as they are written, one
// block at a time: a file of several GiB never needs a second copy of the weights in memory.
#pragma once

#include <cstdint>
#include <vector>

#include "core/dtype.hpp"
#include "core/fp8_weights.hpp"
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
std::vector<SafetensorsTensor> checkpoint_tensors(const EpWeights& weights, WeightNaming naming);

// The same tensors holding e4m3 codes (F8_E4M3; gpt-oss's zero biases stay bf16), each followed by
// its block scales, f32, named `<weight name>_scale_inv` as DeepSeek-V3's checkpoints name them
// (dequantized = code * scale). A scale covers a 128 x 128 block of one expert's gate, up or down
// matrix in torch Linear's (out, in) orientation, whatever the orientation of the values:
//   per_expert_proj, mixtral: experts.{e}.<proj>.weight_scale_inv (ceil(out/128), ceil(in/128))
//   gpt_oss, llama4:          experts.gate_up_proj_scale_inv (E, 2 ceil(I/128), ceil(H/128)) [the
//                             gate's block rows, then the up's], experts.down_proj_scale_inv
//                             (E, ceil(H/128), ceil(I/128))
//   granitemoe:               input_linear.weight_scale_inv, output_linear.weight_scale_inv, the same
std::vector<SafetensorsTensor> checkpoint_tensors(const Fp8EpWeights& weights, WeightNaming naming);

// The data bytes of those tensors (safetensors_data_bytes of them) before any weight exists: what
// --save-tensors-max-bytes is compared with.
std::uint64_t checkpoint_bytes(std::int64_t num_experts, std::int64_t hidden, std::int64_t intermediate,
                               WeightNaming naming, WeightDtype dtype);

}  // namespace moebench
