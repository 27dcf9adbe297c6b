#!/usr/bin/env python3
"""Checks the files of --save-tensors runs (docs/saved_tensors.md) with Hugging Face's safetensors
package and numpy: each file loads, its header follows the format byte for byte, the routing is
what the router in config.json's _moebench computes from the saved logits, and each saved output is
the layer recomputed in float64 from the saved x, routing and weights, read through the family's
checkpoint names. Usage: check_saved_tensors.py RUN_DIR..."""

import json
import math
import struct
import sys
from pathlib import Path

import numpy as np
from safetensors import deserialize, safe_open

# The layer's outputs are bf16: one rounding is 2^-9 relative; summation orders differ.
OUTPUT_TOLERANCE = 1e-2


def check_format(path):
    """The header as the contract writes it: a multiple of 8, tensors contiguous in header order."""
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    assert length % 8 == 0, f"{path}: header length {length}"
    header = json.loads(data[8 : 8 + length])
    end = 0
    for name, entry in header.items():
        if name == "__metadata__":
            assert all(isinstance(v, str) for v in entry.values()), f"{path}: metadata not all strings"
            continue
        begin, stop = entry["data_offsets"]
        assert begin == end, f"{path}: {name} starts at {begin}, not {end}"
        end = stop
    assert 8 + length + end == len(data), f"{path}: {len(data) - 8 - length - end} stray bytes"
    return header


def load(path):
    """Every tensor as numpy (bf16 widened to float32) and the metadata, through safetensors."""
    header = check_format(path)
    with safe_open(str(path), framework="numpy") as f:
        metadata = f.metadata()
        assert sorted(f.keys()) == sorted(k for k in header if k != "__metadata__")
    tensors = {}
    for name, info in deserialize(path.read_bytes()):
        kind = {"BF16": np.uint16, "F32": np.float32, "I32": np.int32}[info["dtype"].upper()]
        values = np.frombuffer(bytes(info["data"]), dtype=kind).reshape(info["shape"])
        if kind is np.uint16:
            values = (values.astype(np.uint32) << 16).view(np.float32)
        tensors[name] = values
    return tensors, metadata


def expert_weights(tensors, naming, experts):
    """gate, up (E, H, I) and down (E, I, H) from the checkpoint names of `naming`."""
    if naming in ("per_expert_proj", "mixtral"):
        g, u, d = ("gate_proj", "up_proj", "down_proj") if naming == "per_expert_proj" else ("w1", "w3", "w2")
        stack = lambda p: np.stack([tensors[f"experts.{e}.{p}.weight"].T for e in range(experts)])
        return stack(g), stack(u), stack(d)
    if naming == "gpt_oss":
        assert not tensors["experts.gate_up_proj_bias"].any() and not tensors["experts.down_proj_bias"].any()
        gate_up = tensors["experts.gate_up_proj"]
        return gate_up[..., ::2], gate_up[..., 1::2], tensors["experts.down_proj"]
    if naming == "llama4":
        gate, up = np.split(tensors["experts.gate_up_proj"], 2, axis=-1)
        return gate, up, tensors["experts.down_proj"]
    if naming == "granitemoe":
        gate, up = np.split(tensors["input_linear.weight"], 2, axis=1)
        return gate.transpose(0, 2, 1), up.transpose(0, 2, 1), tensors["output_linear.weight"].transpose(0, 2, 1)
    raise AssertionError(f"unknown weight_naming {naming}")


def scores_of(logits, router):
    logits = logits.astype(np.float64)
    if router["scoring"] == "softmax":
        scores = np.exp(logits - logits.max(axis=1, keepdims=True))
        return scores / scores.sum(axis=1, keepdims=True)
    return 1 / (1 + np.exp(-logits))


def route(logits, top_k, router):
    """Top-k ids (ties to the lower id) as spec.md and docs/models.md route, and their scores."""
    scores = scores_of(logits, router)
    masked = scores.copy()
    groups = router["n_group"]
    if groups > 1:
        best_of = 2 if router["topk_method"] == "noaux_tc" else 1
        grouped = scores.reshape(len(scores), groups, -1)
        group_score = -np.sort(-grouped, axis=2)[:, :, :best_of].sum(axis=2)
        keep = np.argsort(-group_score, axis=1, kind="stable")[:, : router["topk_group"]]
        allowed = np.zeros_like(group_score, dtype=bool)
        np.put_along_axis(allowed, keep, True, axis=1)
        masked = np.where(np.repeat(allowed, grouped.shape[2], axis=1), scores, -np.inf)
    ids = np.argsort(-masked, axis=1, kind="stable")[:, :top_k]
    return ids, scores


def routing_weights(scores, ids, router):
    """What multiplies each selected expert's output."""
    weights = np.take_along_axis(scores, ids, axis=1)
    if router["renormalize"]:
        weights = weights / weights.sum(axis=1, keepdims=True)
    return weights * router["routed_scaling_factor"]


def check_routing(path, tensors, top_k, router):
    """The saved ids are the router's top-k; the run scores in f32, so scores within 1e-6 of each other
    (a sigmoid near 1, say) may tie there and come in either order."""
    ids, scores = route(tensors["router_logits"], top_k, router)
    saved = tensors["topk_ids"].astype(np.int64)
    for t in np.nonzero((ids != saved).any(axis=1))[0]:
        ours, theirs = np.sort(scores[t, ids[t]]), np.sort(scores[t, saved[t]])
        assert np.allclose(ours, theirs, rtol=0, atol=1e-6), f"{path}: token {t} routed to {saved[t]}, not {ids[t]}"
    expected = routing_weights(scores, saved, router)
    assert np.allclose(expected, tensors["topk_weights"], rtol=1e-5, atol=1e-7), f"{path}: topk_weights differ"


def activation(name, gate, up):
    if name == "silu":
        return gate / (1 + np.exp(-gate)) * up
    if name == "gelu_tanh":
        return 0.5 * gate * (1 + np.tanh(math.sqrt(2 / math.pi) * (gate + 0.044715 * gate**3))) * up
    if name == "swigluoai":
        g, u = np.minimum(gate, 7.0), np.clip(up, -7.0, 7.0)
        return (u + 1) * g / (1 + np.exp(-1.702 * g))
    raise AssertionError(f"unknown activation {name}")


def layer(x, ids, weights, gate, up, down, act):
    out = np.zeros((len(x), down.shape[2]))
    for slot in range(ids.shape[1]):
        for e in np.unique(ids[:, slot]):
            rows = ids[:, slot] == e
            h = activation(act, x[rows] @ gate[e], x[rows] @ up[e])
            out[rows] += weights[rows, slot : slot + 1] * (h @ down[e])
    return out


def check_case(path, m, weights):
    tensors, meta = load(path)
    T = int(meta["num_tokens"])
    assert path.name == f"case_{meta['scenario']}_T{T}.safetensors", path
    for key in ("model", "router", "activation", "dtype", "seed", "command_line", "implementations", "format"):
        assert key in meta, f"{path}: no {key} in the metadata"
    assert meta["activation"] == m["activation"] and meta["seed"] == str(m["seed"]) and meta["format"] == "pt"
    E, k, H = m["num_experts"], m["top_k"], m["hidden_size"]
    assert tensors["x"].shape == (T, H) and tensors["router_logits"].shape == (T, E)
    assert tensors["topk_ids"].shape == (T, k) and tensors["topk_weights"].shape == (T, k)
    check_routing(path, tensors, k, m["router"])
    implementations = meta["implementations"].split(",")
    assert sorted(n for n in tensors if n.startswith("output.")) == sorted(f"output.{i}" for i in implementations)
    if weights is None:
        return
    x = tensors["x"].astype(np.float64)
    ids, routed = tensors["topk_ids"], tensors["topk_weights"].astype(np.float64)
    expected = layer(x, ids, routed, *weights, m["activation"])
    for impl in implementations:
        got = tensors[f"output.{impl}"]
        assert got.shape == (T, H)
        error = np.linalg.norm(got - expected) / np.linalg.norm(expected)
        assert error < OUTPUT_TOLERANCE, f"{path}: output.{impl} is {error:.2e} from the recomputed layer"


def check_run(run):
    config = json.loads((run / "config.json").read_text())
    m = config["_moebench"]
    weights = None
    if (run / "weights.safetensors").exists():
        tensors, meta = load(run / "weights.safetensors")
        assert meta["weight_naming"] == m["weight_naming"] and meta["seed"] == str(m["seed"])
        weights = [w.astype(np.float64) for w in expert_weights(tensors, m["weight_naming"], m["num_experts"])]
        E, H, I = m["num_experts"], m["hidden_size"], m["intermediate_size"]
        assert [w.shape for w in weights] == [(E, H, I), (E, H, I), (E, I, H)]
    cases = sorted(run.glob("case_*.safetensors"))
    assert cases, f"{run}: no case files"
    for case in cases:
        check_case(case, m, weights)
    print(f"{run.name}: {len(cases)} case(s), {m['weight_naming']} weights, {m['activation']}, "
          f"{m['router']['scoring']} router: ok")


def main():
    for run in sys.argv[1:]:
        check_run(Path(run))


if __name__ == "__main__":
    main()
