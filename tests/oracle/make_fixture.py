#!/usr/bin/env python3
"""Writes a saved run as `--save-tensors` would (docs/oracle.md, "The saved run"), from random data,
for testing tools/check_with_transformers.py without the benchmark.

Usage: make_fixture.py CONFIG_JSON OUT_DIR [--tokens T ...] [--semantics moebench|swap_gate_up|llama4_input]
                       [--data wide|spec] [--seed N]

The outputs are computed here, in float64, with moebench's semantics (docs/spec.md: routing as
src/core/router.cpp, then out = sum_j w_j * expert(x)), or with a deliberate change:
  swap_gate_up   act(up) * gate instead of act(gate) * up: a layout bug the oracle must catch;
  llama4_input   out = sum_j expert(w_j * x), as transformers' Llama-4 block scales the input.
The data are larger than the benchmark's N(0, 1) * 0.02 (--data spec) so that the activations are
far from linear: gate pre-activations of a few units, where at 0.02 they are ~3e-3 and
silu(g) * u ~ g * u / 2, so that an activation mix-up moves the output by less than bf16's
tolerance. Needs torch and safetensors.
"""
import argparse
import json
import pathlib

import torch
from safetensors.torch import save_file

# The routing moebench uses when config.json does not say (src/model/model_family.cpp).
RENORMALIZED_FAMILIES = {"mixtral", "granitemoe", "gpt_oss", "moebench_manual"}
SIGMOID_FAMILIES = {"llama4", "llama4_text"}
NAMING = {"mixtral": "mixtral", "gpt_oss": "gpt_oss", "llama4": "llama4", "llama4_text": "llama4",
          "granitemoe": "granitemoe"}


def model_section(config):
    text = config.get("text_config")
    return text if isinstance(text, dict) and "num_local_experts" in text else config


def describe(config, seed):
    """The run's _moebench section for this config, as the benchmark would write it."""
    section = model_section(config)
    family = config.get("model_type", "")
    experts = next(section[k] for k in ("num_experts", "num_local_experts", "n_routed_experts") if k in section)
    intermediate = section.get("moe_intermediate_size") or section["intermediate_size"]
    grouped = section.get("topk_method") in ("group_limited_greedy", "noaux_tc")
    router = {
        "scoring": "sigmoid" if family in SIGMOID_FAMILIES or section.get("scoring_func") == "sigmoid" else "softmax",
        "renormalize": family in RENORMALIZED_FAMILIES or bool(section.get("norm_topk_prob", False)),
        "topk_method": section.get("topk_method", "greedy"),
        "n_group": section.get("n_group", 1) if grouped else 1,
        "topk_group": section.get("topk_group", 1) if grouped else 1,
        "routed_scaling_factor": section.get("routed_scaling_factor", 1.0),
    }
    return {"num_experts": experts, "top_k": section["num_experts_per_tok"], "hidden_size": section["hidden_size"],
            "intermediate_size": intermediate,
            "activation": "swigluoai" if family == "gpt_oss" else section.get("hidden_act", "silu"),
            "router": router, "family": family, "weight_naming": NAMING.get(family, "per_expert_proj"),
            "dtype": "bf16", "seed": seed, "command_line": "tests/oracle/make_fixture.py (synthetic)"}


def route(logits, top_k, router):
    """(ids, weights) as src/core/router.cpp: scores, the best groups, top-k, renormalize, scale."""
    scores = logits.softmax(-1) if router["scoring"] == "softmax" else logits.sigmoid()
    groups = router["n_group"]
    if groups > 1:
        best_per_group = 2 if router["topk_method"] == "noaux_tc" else 1
        grouped = scores.view(scores.shape[0], groups, -1)
        group_score = grouped.topk(best_per_group, dim=-1).values.sum(-1)
        keep = torch.zeros_like(group_score, dtype=torch.bool)
        keep.scatter_(1, group_score.topk(router["topk_group"], dim=-1).indices, True)
        scores = torch.where(keep.unsqueeze(-1), grouped, torch.full_like(grouped, -1.0)).view_as(scores)
    weights, ids = scores.topk(top_k, dim=-1)
    if router["renormalize"]:
        weights = weights / weights.sum(-1, keepdim=True)
    return ids, weights * router["routed_scaling_factor"]


def activation(name, gate, up):
    if name == "swigluoai":
        gate, up = gate.clamp(max=7.0), up.clamp(-7.0, 7.0)
        return (up + 1) * gate * torch.sigmoid(1.702 * gate)
    if name.startswith("gelu"):
        return torch.nn.functional.gelu(gate, approximate="tanh") * up
    return torch.nn.functional.silu(gate) * up


def moe_output(x, ids, weights, w, act, semantics):
    """float64 output of the layer for one semantics; w = (gate, up, down), [E, I, H] and [E, H, I]."""
    gate_w, up_w, down_w = (m.double() for m in w)
    out = torch.zeros_like(x, dtype=torch.float64)
    for t in range(x.shape[0]):
        for e, weight in zip(ids[t].tolist(), weights[t].double().tolist()):
            scale_input = semantics == "llama4_input"
            inp = x[t].double() * (weight if scale_input else 1.0)
            gate, up = gate_w[e] @ inp, up_w[e] @ inp
            hidden = activation(act, up, gate) if semantics == "swap_gate_up" else activation(act, gate, up)
            out[t] += (1.0 if scale_input else weight) * (down_w[e] @ hidden)
    return out


def named_weights(naming, gate, up, down):
    """The saved names of docs/oracle.md's table, from gate, up [E, I, H] and down [E, H, I]."""
    experts = gate.shape[0]
    if naming == "per_expert_proj":
        return {f"experts.{e}.{n}.weight": m[e].contiguous() for e in range(experts)
                for n, m in (("gate_proj", gate), ("up_proj", up), ("down_proj", down))}
    if naming == "mixtral":
        return {f"experts.{e}.{n}.weight": m[e].contiguous() for e in range(experts)
                for n, m in (("w1", gate), ("w3", up), ("w2", down))}
    if naming == "gpt_oss":
        gate_up = torch.stack((gate.transpose(1, 2), up.transpose(1, 2)), dim=-1).flatten(-2).contiguous()
        return {"experts.gate_up_proj": gate_up, "experts.down_proj": down.transpose(1, 2).contiguous(),
                "experts.gate_up_proj_bias": torch.zeros(experts, gate_up.shape[-1], dtype=gate.dtype),
                "experts.down_proj_bias": torch.zeros(experts, down.shape[1], dtype=gate.dtype)}
    if naming == "llama4":
        return {"experts.gate_up_proj": torch.cat((gate, up), 1).transpose(1, 2).contiguous(),
                "experts.down_proj": down.transpose(1, 2).contiguous()}
    if naming == "granitemoe":
        return {"input_linear.weight": torch.cat((gate, up), 1).contiguous(), "output_linear.weight": down}
    raise ValueError(naming)


def write_case(out_dir, desc, w, tokens, generator, semantics, x_scale):
    hidden, experts, top_k = desc["hidden_size"], desc["num_experts"], desc["top_k"]
    x = (torch.randn(tokens, hidden, generator=generator) * x_scale).bfloat16()
    logits = torch.randn(tokens, experts, generator=generator)
    ids, weights = route(logits, top_k, desc["router"])
    out = moe_output(x, ids, weights, w, desc["activation"], semantics)
    tensors = {"x": x, "router_logits": logits, "topk_ids": ids.int(), "topk_weights": weights.float(),
               "output.fused": out.bfloat16(), "output.epmoe": out.float().bfloat16()}
    metadata = {"model": desc["family"], "router": json.dumps(desc["router"]), "activation": desc["activation"],
                "dtype": "bf16", "seed": str(desc["seed"]), "command_line": desc["command_line"],
                "scenario": "random", "num_tokens": str(tokens), "implementations": "fused,epmoe",
                "format": "moebench-save-tensors-1"}
    save_file(tensors, str(out_dir / f"case_random_T{tokens}.safetensors"), metadata=metadata)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("config", type=pathlib.Path)
    parser.add_argument("out_dir", type=pathlib.Path)
    parser.add_argument("--tokens", type=int, nargs="+", default=[1, 5, 33])
    parser.add_argument("--semantics", choices=("moebench", "swap_gate_up", "llama4_input"), default="moebench")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", choices=("wide", "spec"), default="wide",
                        help="wide: activations far from linear (default); spec: the benchmark's N(0, 1) * 0.02")

    args = parser.parse_args()
    config = json.loads(args.config.read_text())
    desc = describe(config, args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    experts, hidden, inter = desc["num_experts"], desc["hidden_size"], desc["intermediate_size"]
    gate_scale, down_scale, x_scale = (3 / hidden**0.5, 1 / inter**0.5, 1.0) if args.data == "wide" else (0.02,) * 3
    gate, up = (torch.randn(experts, inter, hidden, generator=generator) * gate_scale for _ in range(2))
    down = torch.randn(experts, hidden, inter, generator=generator) * down_scale
    w = tuple(m.bfloat16() for m in (gate, up, down))
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / "config.json").write_text(json.dumps(dict(config, _moebench=desc), indent=2))
    save_file(named_weights(desc["weight_naming"], *w), str(args.out_dir / "weights.safetensors"))
    for tokens in args.tokens:
        write_case(args.out_dir, desc, w, tokens, generator, args.semantics, x_scale)


if __name__ == "__main__":
    main()
