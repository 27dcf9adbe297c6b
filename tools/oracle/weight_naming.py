"""The expert weights of each naming (config.json's _moebench.weight_naming) as (gate, up, down) and back.

One canonical layout: gate and up [E, I, H], down [E, H, I] (nn.Linear's [out, in]). In
transformers 4.57.6 each naming's names are also the parameter names of its family's block.
"""
import torch

from .bad_input import BadInput

# Per-expert namings: the gate, up and down projections' module names.
PER_EXPERT_PROJECTIONS = {"per_expert_proj": ("gate_proj", "up_proj", "down_proj"), "mixtral": ("w1", "w3", "w2")}
# Fused namings: the gate-and-up tensor's name, the down tensor's.
FUSED_TENSORS = {"gpt_oss": ("experts.gate_up_proj", "experts.down_proj"),
                 "llama4": ("experts.gate_up_proj", "experts.down_proj"),
                 "granitemoe": ("input_linear.weight", "output_linear.weight")}
GPT_OSS_BIASES = ("experts.gate_up_proj_bias", "experts.down_proj_bias")


def unknown_naming(naming):
    return BadInput(f"unknown weight_naming {naming!r}")


def stack(tensors, pattern, num_experts):
    return torch.stack([tensors(pattern.format(e=e)) for e in range(num_experts)])


def check_gpt_oss_biases(tensors):
    for bias in GPT_OSS_BIASES:
        if tensors(bias).abs().max() != 0:
            raise BadInput(f"{bias} is not zero: moebench's experts have no biases")


def split_weights(naming, tensors, num_experts):
    """(gate, up, down) from the saved tensors; `tensors(name)` reads one."""
    if naming in PER_EXPERT_PROJECTIONS:
        names = (f"experts.{{e}}.{projection}.weight" for projection in PER_EXPERT_PROJECTIONS[naming])
        return tuple(stack(tensors, n, num_experts) for n in names)
    if naming == "gpt_oss":  # [E, H, 2I], gate at even and up at odd positions of the last axis
        check_gpt_oss_biases(tensors)
        gate_up, down = tensors("experts.gate_up_proj"), tensors("experts.down_proj")
        return gate_up[..., 0::2].transpose(1, 2), gate_up[..., 1::2].transpose(1, 2), down.transpose(1, 2)
    if naming == "llama4":  # [E, H, 2I], gate the first I, up the last I
        gate, up = tensors("experts.gate_up_proj").chunk(2, dim=-1)
        return gate.transpose(1, 2), up.transpose(1, 2), tensors("experts.down_proj").transpose(1, 2)
    if naming == "granitemoe":  # [E, 2I, H], gate the first I rows
        gate, up = tensors("input_linear.weight").chunk(2, dim=1)
        return gate, up, tensors("output_linear.weight")
    raise unknown_naming(naming)


def join_weights(naming, gate, up, down):
    """The block's parameters, by name, from (gate, up, down)."""
    num_experts = gate.shape[0]
    if naming in PER_EXPERT_PROJECTIONS:
        return {f"experts.{e}.{name}.weight": w[e] for e in range(num_experts)
                for name, w in zip(PER_EXPERT_PROJECTIONS[naming], (gate, up, down))}
    if naming == "gpt_oss":
        gate_up = torch.stack((gate.transpose(1, 2), up.transpose(1, 2)), dim=-1).flatten(-2)  # interleaved
        return {"experts.gate_up_proj": gate_up, "experts.down_proj": down.transpose(1, 2),
                "experts.gate_up_proj_bias": gate.new_zeros(num_experts, 2 * gate.shape[1]),
                "experts.down_proj_bias": gate.new_zeros(num_experts, down.shape[1])}
    if naming == "llama4":
        return {"experts.gate_up_proj": torch.cat((gate, up), dim=1).transpose(1, 2),
                "experts.down_proj": down.transpose(1, 2)}
    if naming == "granitemoe":
        return {"input_linear.weight": torch.cat((gate, up), dim=1), "output_linear.weight": down}
    raise unknown_naming(naming)


def split_scales(naming, tensors, num_experts):
    """(gate, up, down) block scales: [E, ceil(I/128), ceil(H/128)] twice, [E, ceil(H/128), ceil(I/128)].
    Each weight's scales are `<its name>_scale_inv`, one f32 per 128 x 128 block of an expert's
    matrix as (out, in) whatever way its values are stored; a fused gate-and-up tensor's hold the
    gate's block rows, then the up's (docs/saved_tensors.md)."""
    if naming in PER_EXPERT_PROJECTIONS:
        return tuple(stack(tensors, f"experts.{{e}}.{n}.weight_scale_inv", num_experts)
                     for n in PER_EXPERT_PROJECTIONS[naming])
    if naming not in FUSED_TENSORS:
        raise unknown_naming(naming)
    gate_up, down = (tensors(name + "_scale_inv") for name in FUSED_TENSORS[naming])
    gate, up = gate_up.chunk(2, dim=1)
    return gate, up, down
