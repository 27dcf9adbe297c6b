#!/usr/bin/env python3
"""An oracle we did not write: recomputes a saved moebench run with the Hugging Face transformers
MoE block of the model's own family, and compares each implementation's output with it.

Usage: check_with_transformers.py RUN_DIR... [--device cpu|cuda] [--compute-dtype float64|float32]
                                  [--no-activation-quant]

RUN_DIR is what `bench_fused_vs_epmoe --save-tensors RUN_DIR` wrote: config.json (the model
config, with the run's own description under "_moebench"), weights.safetensors (bf16 expert
weights, or for an fp8-b128 run e4m3 ones with their `_scale_inv` block scales) and one
case_{scenario}_T{T}.safetensors per case (x, router_logits, topk_ids, topk_weights, output.fused
and/or output.epmoe). The block is built from config.json, loaded with the saved weights (shared
experts zeroed: moebench's layer is the routed experts only), and given the saved router logits in
place of its gate projection; transformers' own code does the rest: top-k, normalization,
scaling, the experts and their activation. It computes in float64 (float32 with --compute-dtype;
the default on cuda) from the bf16 weights and inputs.

An fp8-b128 run (docs/fp8.md) is checked the same way, with two things the oracle does itself,
since transformers' own FP8 path needs triton and a GPU: the e4m3 weights are dequantized
(value * scale per 128 x 128 block) into the block's float parameters, and the input of every
matrix product with an expert weight (x before gate and up, h before down) is quantized per row
per 128 channels as the layer does (scale = group amax / 448, e4m3 round to nearest even,
saturating). --no-activation-quant leaves that second part out, to show what it is worth.

Prints one line per case: family, scenario, T, max abs and relative error (||out - hf|| / ||hf||,
as docs/metrics.md) of each implementation, PASS or FAIL at 1e-2 (bf16) or 3e-2 (fp8), and how
many tokens' top-k ids match transformers' (as sets). Exit 0 when every case passes, 1 when any
fails, 2 on bad input (a missing folder or file, a family transformers has no block for); with
several runs, the worst of these.
Needs torch, transformers (pinned: tools/oracle_requirements.txt) and safetensors; docs/oracle.md.
"""
import argparse
import contextlib
import copy
import dataclasses
import importlib
import json
import pathlib
import re
import sys

try:
    import safetensors
    import safetensors.torch
    import torch
    import transformers
except ImportError as missing:
    print(f"check_with_transformers: error: {missing} (tools/oracle_requirements.txt lists what it needs)",
          file=sys.stderr)
    sys.exit(2)

EXIT_PASS, EXIT_FAIL, EXIT_BAD_INPUT = 0, 1, 2
TOLERANCE = {"bf16": 1e-2, "fp8-b128": 3e-2}  # by _moebench.dtype
FP8 = "fp8-b128"
E4M3_MAX = 448.0  # torch.finfo(torch.float8_e4m3fn).max
BLOCK = 128  # the side of a weight block, the width of an activation group
IMPLEMENTATIONS = ("fused", "epmoe")


class BadInput(Exception):
    """The run folder cannot be checked; the message says why, in one line."""


# The transformers (4.57.6) block of each family, and what the oracle changes in it:
#   router: the module that projects hidden states to router logits; it gets an identity
#     projection and the saved logits as its input, so the block routes on exactly those logits;
#   router_width: the attribute holding that projection's input width, where the router reads one;
#   shared: prefixes of the shared expert's parameters, zeroed;
#   compute_dtype: where the block works in one dtype only (DeepSeek-V3 accumulates the experts'
#     outputs in its router's float32).
@dataclasses.dataclass(frozen=True)
class Family:
    module: str
    block: str
    naming: str
    router: str
    router_width: str = ""
    shared: tuple = ()
    compute_dtype: str = ""


FAMILIES = {
    "qwen2_moe": Family("qwen2_moe", "Qwen2MoeSparseMoeBlock", "per_expert_proj", "gate",
                        shared=("shared_expert.", "shared_expert_gate.")),
    "qwen3_moe": Family("qwen3_moe", "Qwen3MoeSparseMoeBlock", "per_expert_proj", "gate"),
    "mixtral": Family("mixtral", "MixtralSparseMoeBlock", "mixtral", "gate"),
    "olmoe": Family("olmoe", "OlmoeSparseMoeBlock", "per_expert_proj", "gate"),
    "deepseek_v2": Family("deepseek_v2", "DeepseekV2MoE", "per_expert_proj", "gate", shared=("shared_experts.",)),
    "deepseek_v3": Family("deepseek_v3", "DeepseekV3MoE", "per_expert_proj", "gate", "config.hidden_size",
                          shared=("shared_experts.",), compute_dtype="float32"),
    "gpt_oss": Family("gpt_oss", "GptOssMLP", "gpt_oss", "router", "hidden_dim"),
    "granitemoe": Family("granitemoe", "GraniteMoeMoE", "granitemoe", "router.layer"),
    "llama4_text": Family("llama4", "Llama4TextMoe", "llama4", "router", shared=("shared_expert.",)),
}
MODEL_TYPE_ALIASES = {"llama4": "llama4_text"}  # the multimodal config; its text_config holds the MoE


# ---------------------------------------------------------------------------------------------
# Weights. Each naming (config.json's _moebench.weight_naming) as (gate, up, down) in one
# canonical layout, gate and up [E, I, H], down [E, H, I] (nn.Linear's [out, in]); in
# transformers 4.57.6 each naming's names are also the parameter names of its family's block.

def stack(tensors, pattern, num_experts):
    return torch.stack([tensors(pattern.format(e=e)) for e in range(num_experts)])


def split_weights(naming, tensors, num_experts):
    """(gate, up, down) from the saved tensors; `tensors(name)` reads one."""
    if naming == "per_expert_proj":
        names = ("experts.{e}.gate_proj.weight", "experts.{e}.up_proj.weight", "experts.{e}.down_proj.weight")
        return tuple(stack(tensors, n, num_experts) for n in names)
    if naming == "mixtral":
        names = ("experts.{e}.w1.weight", "experts.{e}.w3.weight", "experts.{e}.w2.weight")
        return tuple(stack(tensors, n, num_experts) for n in names)
    if naming == "gpt_oss":  # [E, H, 2I], gate at even and up at odd positions of the last axis
        for bias in ("experts.gate_up_proj_bias", "experts.down_proj_bias"):
            if tensors(bias).abs().max() != 0:
                raise BadInput(f"{bias} is not zero: moebench's experts have no biases")
        gate_up, down = tensors("experts.gate_up_proj"), tensors("experts.down_proj")
        return gate_up[..., 0::2].transpose(1, 2), gate_up[..., 1::2].transpose(1, 2), down.transpose(1, 2)
    if naming == "llama4":  # [E, H, 2I], gate the first I, up the last I
        gate, up = tensors("experts.gate_up_proj").chunk(2, dim=-1)
        return gate.transpose(1, 2), up.transpose(1, 2), tensors("experts.down_proj").transpose(1, 2)
    if naming == "granitemoe":  # [E, 2I, H], gate the first I rows
        gate, up = tensors("input_linear.weight").chunk(2, dim=1)
        return gate, up, tensors("output_linear.weight")
    raise BadInput(f"unknown weight_naming {naming!r}")


def join_weights(naming, gate, up, down):
    """The block's parameters, by name, from (gate, up, down)."""
    num_experts = gate.shape[0]
    if naming in ("per_expert_proj", "mixtral"):
        names = (("gate_proj", "up_proj", "down_proj") if naming == "per_expert_proj" else ("w1", "w3", "w2"))
        return {f"experts.{e}.{name}.weight": w[e] for e in range(num_experts)
                for name, w in zip(names, (gate, up, down))}
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
    raise BadInput(f"unknown weight_naming {naming!r}")


# ---------------------------------------------------------------------------------------------
# fp8-b128 runs (docs/fp8.md). transformers' FP8 path (FP8Linear, its triton kernels) needs a GPU,
# and its blocks would replace the experts we mean to check with its own: instead the oracle
# dequantizes the weights into the family's own block and emulates the activations' quantization
# where the layer does it, and transformers' code still does everything else.

def blocks(n):
    return -(-n // BLOCK)


def split_scales(naming, tensors, num_experts):
    """(gate, up, down) block scales: [E, ceil(I/128), ceil(H/128)] twice, [E, ceil(H/128), ceil(I/128)].
    Each weight's scales are `<its name>_scale_inv`, one f32 per 128 x 128 block of an expert's
    matrix as (out, in) whatever way its values are stored; a fused gate-and-up tensor's hold the
    gate's block rows, then the up's (docs/saved_tensors.md)."""
    if naming in ("per_expert_proj", "mixtral"):
        names = (("gate_proj", "up_proj", "down_proj") if naming == "per_expert_proj" else ("w1", "w3", "w2"))
        return tuple(stack(tensors, f"experts.{{e}}.{n}.weight_scale_inv", num_experts) for n in names)
    fused = {"gpt_oss": ("experts.gate_up_proj", "experts.down_proj"),
             "llama4": ("experts.gate_up_proj", "experts.down_proj"),
             "granitemoe": ("input_linear.weight", "output_linear.weight")}
    if naming not in fused:
        raise BadInput(f"unknown weight_naming {naming!r}")
    gate_up, down = (tensors(name + "_scale_inv") for name in fused[naming])
    gate, up = gate_up.chunk(2, dim=1)
    return gate, up, down


def dequantize(values, scales, what):
    """values [E, out, in] times the scale of each 128 x 128 block (the last ones cut short)."""
    experts, rows, cols = values.shape
    if tuple(scales.shape) != (experts, blocks(rows), blocks(cols)):
        raise BadInput(f"the {what} scales have shape {tuple(scales.shape)}; {experts} experts' [{rows}, {cols}] "
                       f"matrices in 128 x 128 blocks need {(experts, blocks(rows), blocks(cols))}")
    full = scales.repeat_interleave(BLOCK, dim=1)[:, :rows].repeat_interleave(BLOCK, dim=2)[:, :, :cols]
    return values * full


def fp8_weights(naming, saved, num_experts, dtype, device):
    """(gate, up, down) dequantized, [E, I, H], [E, I, H], [E, H, I]: exact products in float64,
    then `dtype` (float32 rounds each once, as moebench's CPU backend does)."""
    def read(name, kinds, what):
        tensor = saved(name)
        if tensor.dtype not in kinds:
            raise BadInput(f"weights.safetensors holds {name} as {tensor.dtype}; an {FP8} run saves {what}")
        return tensor.to(device=device, dtype=torch.float64)

    def value(name):  # gpt-oss's biases stay bf16 (and must be zero)
        if name.endswith("_bias"):
            return read(name, (torch.bfloat16, torch.float32), "the biases as bf16")
        return read(name, (torch.float8_e4m3fn,), "the weights as F8_E4M3")

    values = split_weights(naming, value, num_experts)
    scales = split_scales(naming, lambda name: read(name, (torch.float32,), "the scales as F32"), num_experts)
    return tuple(dequantize(v, s, what).to(dtype) for v, s, what in zip(values, scales, ("gate", "up", "down")))


def quantize_activation(a):
    """`a` as the layer's GEMMs read it: each row quantized per 128 channels of the last axis, in
    float32 as the layer does (scale = group amax / 448, 1 for an all-zero group, at least the
    smallest normal float; e4m3 rounding to nearest even), each code times its scale, in a's dtype."""
    width = a.shape[-1]
    padded = torch.nn.functional.pad(a.to(torch.float32), (0, -width % BLOCK))  # zeros: amax unchanged
    groups = padded.reshape(*padded.shape[:-1], padded.shape[-1] // BLOCK, BLOCK)
    amax = groups.abs().amax(dim=-1, keepdim=True)
    scale = torch.where(amax == 0, torch.ones_like(amax),
                        (amax / E4M3_MAX).clamp(min=torch.finfo(torch.float32).tiny))
    # The layer saturates (v / s can exceed 448 by a rounding). torch 2.15's cast does too, but
    # c10's conversion of earlier releases gave NaN above 464, as ml_dtypes' does: clamp first.
    codes = (groups / scale).clamp(-E4M3_MAX, E4M3_MAX).to(torch.float8_e4m3fn)
    values = codes.to(torch.float64) * scale.to(torch.float64)
    return values.reshape(padded.shape)[..., :width].to(a.dtype)


class ActivationQuantizer(torch.overrides.TorchFunctionMode):
    """Quantizes the activation operand of every matrix product whose weight operand is an expert
    weight (x before gate and up, h before down), whatever the block calls: nn.Linear's F.linear
    (Qwen, DeepSeek, Mixtral, OLMoE), GraniteMoe's F.linear on a slice, gpt-oss's `@` on a slice,
    Llama-4's bmm. The activation is the first operand of each, the weight the second; a weight is
    recognized by its storage, which slices and views share."""

    PRODUCTS = (torch.nn.functional.linear, torch.matmul, torch.Tensor.matmul, torch.Tensor.__matmul__,
                torch.bmm, torch.Tensor.bmm)

    def __init__(self, weights):
        super().__init__()
        self.storages = {w.untyped_storage().data_ptr() for w in weights}
        self.products = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if (func in self.PRODUCTS and len(args) >= 2 and isinstance(args[1], torch.Tensor)
                and args[1].untyped_storage().data_ptr() in self.storages):
            args = (quantize_activation(args[0]),) + tuple(args[1:])
            self.products += 1
        return func(*args, **(kwargs or {}))


# ---------------------------------------------------------------------------------------------
# The run folder.

@dataclasses.dataclass
class Run:
    folder: pathlib.Path
    config: dict  # config.json as saved
    description: dict  # its "_moebench" part

    @property
    def dtype(self):
        return self.description.get("dtype", "bf16")

    @property
    def tolerance(self):
        return TOLERANCE[self.dtype]


def read_json(path):
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise BadInput(f"{path} does not exist") from None
    except (OSError, ValueError) as error:
        raise BadInput(f"{path} is not readable JSON: {error}") from None


def load_run(folder):
    if not folder.is_dir():
        raise BadInput(f"{folder} is not a folder")
    config = read_json(folder / "config.json")
    description = config.get("_moebench")
    if not isinstance(description, dict):
        raise BadInput(f"{folder / 'config.json'} has no _moebench section: not written by --save-tensors")
    if not (folder / "weights.safetensors").is_file():
        raise BadInput(f"{folder / 'weights.safetensors'} does not exist")
    run = Run(folder, config, description)
    if run.dtype not in TOLERANCE:
        raise BadInput(f"{folder / 'config.json'}: _moebench.dtype {run.dtype!r} is none the oracle knows "
                       f"({', '.join(TOLERANCE)})")
    return run


def case_files(run):
    files = list(run.folder.glob("case_*.safetensors"))
    if not files:
        raise BadInput(f"{run.folder} holds no case_*.safetensors")

    def order(path):
        match = re.fullmatch(r"case_(.+)_T(\d+)\.safetensors", path.name)
        return (match.group(1), int(match.group(2))) if match else (path.name, 0)

    return sorted(files, key=order)


# ---------------------------------------------------------------------------------------------
# The transformers block.

def model_section(config):
    """The part of config.json that holds the MoE (text_config for multimodal configs)."""
    text = config.get("text_config")
    if isinstance(text, dict) and any(k in text for k in ("num_local_experts", "num_experts", "n_routed_experts")):
        return text
    return config


def manual_config(description):
    """A transformers config for manual shapes: the Qwen3-MoE block routes as the spec's default
    (softmax, top-k, renormalize), gpt-oss's block for swigluoai."""
    common = {"hidden_size": description["hidden_size"], "num_experts_per_tok": description["top_k"]}
    if description["activation"] == "swigluoai":
        return "gpt_oss", dict(common, num_local_experts=description["num_experts"],
                               intermediate_size=description["intermediate_size"])
    activation = {"silu": "silu", "gelu": "gelu_pytorch_tanh", "gelu_tanh": "gelu_pytorch_tanh"}
    if description["activation"] not in activation:
        raise BadInput(f"no transformers block for manual activation {description['activation']!r}")
    return "qwen3_moe", dict(common, num_experts=description["num_experts"],
                             moe_intermediate_size=description["intermediate_size"],
                             norm_topk_prob=description["router"].get("renormalize", True),
                             hidden_act=activation[description["activation"]])


def family_and_config(run):
    """(model type, Family, transformers config) for the run."""
    section = model_section(run.config)
    model_type = section.get("model_type") or run.config.get("model_type") or run.description.get("family", "")
    if model_type == "moebench_manual":
        model_type, fields = manual_config(run.description)
    else:
        fields = {k: v for k, v in section.items() if not k.startswith("_") and k != "model_type"}
    model_type = MODEL_TYPE_ALIASES.get(model_type, model_type)
    if model_type not in FAMILIES:
        raise BadInput(f"no transformers MoE block for model_type {model_type!r} (the oracle knows: "
                       f"{', '.join(sorted(FAMILIES))})")
    try:
        config = transformers.AutoConfig.for_model(model_type, **fields)
    except Exception as error:  # transformers' own validation of the config's values
        raise BadInput(f"transformers rejects config.json as {model_type}: {error}") from None
    return model_type, FAMILIES[model_type], config


def build_block(family, config):
    """The family's block, without memory: its parameters come from load_weights."""
    module = importlib.import_module(f"transformers.models.{family.module}.modeling_{family.module}")
    with torch.device("meta"):
        return getattr(module, family.block)(config)


def is_zeroed_by_design(name, family):
    """The router (replaced by route_on_saved_logits), the shared expert, biases (moebench has none)."""
    return name.startswith((family.router + ".",) + family.shared) or name.endswith("_bias")


def load_weights(block, family, run, num_experts, dtype, device):
    """Fills every parameter: the saved experts (dequantized for an fp8 run), zeros for the rest
    (shared expert, router). Returns the names of the expert weights."""
    naming = run.description.get("weight_naming") or family.naming
    with safetensors.safe_open(run.folder / "weights.safetensors", framework="pt", device="cpu") as saved:
        available = set(saved.keys())

        def stored(name):
            if name not in available:
                raise BadInput(f"weights.safetensors has no {name} (weight_naming {naming})")
            return saved.get_tensor(name)

        def tensor(name):
            value = stored(name)
            if value.dtype == torch.float8_e4m3fn:
                raise BadInput(f"weights.safetensors holds {name} as F8_E4M3, but _moebench.dtype is {run.dtype}")
            return value.to(device=device, dtype=dtype)

        if run.dtype == FP8:
            experts = join_weights(family.naming, *fp8_weights(naming, stored, num_experts, dtype, device))
        elif naming == family.naming:  # the saved names are the block's own: no copies of the whole set
            experts = {name: tensor(name) for name in block.state_dict() if name.startswith(
                ("experts.", "input_linear.", "output_linear.")) and not name.endswith("_bias")}
            if naming == "gpt_oss":
                split_weights(naming, tensor, num_experts)  # checks that the biases are zero
        else:
            experts = join_weights(family.naming, *split_weights(naming, tensor, num_experts))
    state = {}
    for name, meta in block.state_dict().items():
        value = experts.get(name)
        if value is None:
            if not is_zeroed_by_design(name, family):
                raise BadInput(f"weights.safetensors has nothing for the block's {name} (weight_naming {naming})")
            value = torch.zeros(meta.shape, dtype=dtype, device=device)
        elif tuple(value.shape) != tuple(meta.shape):
            raise BadInput(f"{name} has shape {tuple(value.shape)}; the {family.block} of config.json "
                           f"expects {tuple(meta.shape)}")
        state[name] = value
    block.load_state_dict(state, strict=True, assign=True)
    return [name for name in experts if not name.endswith("_bias")]


def route_on_saved_logits(block, family, num_experts, dtype, device):
    """Gives the router an identity projection and the saved logits as its input; returns a
    function that sets the logits for the next forward."""
    router = block.get_submodule(family.router)
    router.weight = torch.nn.Parameter(torch.eye(num_experts, dtype=dtype, device=device), requires_grad=False)
    if getattr(router, "bias", None) is not None:
        router.bias = torch.nn.Parameter(torch.zeros(num_experts, dtype=dtype, device=device), requires_grad=False)
    if family.router_width:
        owner_path, _, attribute = family.router_width.rpartition(".")
        owner = router
        if owner_path:  # e.g. the router reads config.hidden_size: give it a config of its own
            owner = copy.copy(getattr(router, owner_path))
            setattr(router, owner_path, owner)
        setattr(owner, attribute, num_experts)
    current = {}

    def swap_input(module, args):
        hidden = args[0]
        logits = current["logits"].to(device=hidden.device, dtype=hidden.dtype)
        return (logits.reshape(*hidden.shape[:-1], num_experts),) + tuple(args[1:])

    router.register_forward_pre_hook(swap_input)
    return lambda logits: current.__setitem__("logits", logits)


class TopkRecorder(torch.overrides.TorchFunctionMode):
    """Records the last top-k over all E experts (torch.topk or Tensor.topk) the block makes."""

    def __init__(self, num_experts, top_k):
        super().__init__()
        self.num_experts, self.top_k, self.ids = num_experts, top_k, None

    def __torch_function__(self, func, types, args=(), kwargs=None):
        result = func(*args, **(kwargs or {}))
        if func in (torch.topk, torch.Tensor.topk):
            k = kwargs.get("k") if kwargs and "k" in kwargs else args[1]
            if k == self.top_k and args[0].shape[-1] == self.num_experts:
                self.ids = result[1]
        return result


# ---------------------------------------------------------------------------------------------
# Comparison.

def errors(output, reference):
    """(max abs error, ||output - reference|| / ||reference||) in float64."""
    diff = output.double() - reference.double()
    norm = reference.double().norm()
    relative = (diff.norm() / norm).item() if norm > 0 else (0.0 if diff.abs().max() == 0 else float("inf"))
    return diff.abs().max().item(), relative


def topk_matches(hf_ids, saved_ids):
    hf = [set(row) for row in hf_ids.tolist()]
    saved = [set(row) for row in saved_ids.tolist()]
    return sum(a == b for a, b in zip(hf, saved))


def check_case(path, run, block, set_logits, model_type, top_k, num_experts, dtype, device, quantizer):
    """Prints the case's line; True when every implementation passes. `quantizer`: the
    ActivationQuantizer of an fp8 run, None otherwise."""
    case = safetensors.torch.load_file(str(path))
    with safetensors.safe_open(path, framework="pt") as f:
        metadata = f.metadata() or {}
    for name in ("x", "router_logits", "topk_ids"):
        if name not in case:
            raise BadInput(f"{path} has no tensor {name}")
    x = case["x"].to(device=device, dtype=dtype)
    tokens = x.shape[0]
    set_logits(case["router_logits"].to(device=device))
    recorder = TopkRecorder(num_experts, top_k)
    with torch.no_grad(), quantizer or contextlib.nullcontext(), recorder:
        result = block(x.reshape(1, tokens, -1))
    hf = (result[0] if isinstance(result, tuple) else result).reshape(tokens, -1)
    scenario = metadata.get("scenario") or re.sub(r"^case_|_T\d+\.safetensors$", "", path.name)
    line = [f"{model_type:<12} {scenario} T={tokens:<5}"]
    passed = True
    found = [impl for impl in IMPLEMENTATIONS if f"output.{impl}" in case]
    if not found:
        raise BadInput(f"{path} has no output.fused nor output.epmoe")
    for impl in found:
        max_error, relative = errors(case[f"output.{impl}"].to(device), hf)
        ok = relative <= run.tolerance
        passed &= ok
        line.append(f"{impl} max {max_error:.1e} rel {relative:.1e} {'PASS' if ok else 'FAIL'}")
    if recorder.ids is not None:
        line.append(f"topk ids match {topk_matches(recorder.ids.cpu(), case['topk_ids'])}/{tokens}")
    print("  ".join(line), flush=True)
    return passed


def fp8_note(run, quantizer):
    if run.dtype != FP8:
        return ""
    activations = ("activations quantized per token and 128 channels before each expert product (the "
                   "oracle's emulation)" if quantizer else "activations NOT quantized (--no-activation-quant)")
    return f"; {FP8}: e4m3 weights x block scales, {activations}"


def check_run(folder, device, dtype, quantize_activations=True):
    run = load_run(folder)
    model_type, family, config = family_and_config(run)
    num_experts = int(run.description.get("num_experts") or config.num_local_experts)
    top_k = int(run.description.get("top_k") or config.num_experts_per_tok)
    dtype = getattr(torch, family.compute_dtype) if family.compute_dtype else dtype
    block = build_block(family, config)
    expert_names = load_weights(block, family, run, num_experts, dtype, device)
    block.eval()
    set_logits = route_on_saved_logits(block, family, num_experts, dtype, device)
    quantizer = None
    if run.dtype == FP8 and quantize_activations:
        parameters = dict(block.named_parameters())
        quantizer = ActivationQuantizer([parameters[name] for name in expert_names])
    print(f"# oracle: transformers {transformers.__version__} {family.block} (torch {torch.__version__}, "
          f"{str(dtype).replace('torch.', '')} on {device}); tolerance {run.tolerance:g}{fp8_note(run, quantizer)}; "
          f"run: {run.description.get('command_line', '?')}", flush=True)
    results = [check_case(path, run, block, set_logits, model_type, top_k, num_experts, dtype, device, quantizer)
               for path in case_files(run)]
    if quantizer and quantizer.products == 0:  # transformers computes its experts some way not intercepted
        raise BadInput(f"no product with an expert weight of {family.block} was seen: the activations of this "
                       f"{FP8} run could not be quantized")
    failed = results.count(False)
    print(f"# {len(results)} case(s): " + (f"{failed} FAIL" if failed else "all pass")
          + (f"; activations quantized before {quantizer.products} expert products" if quantizer else ""))
    return EXIT_FAIL if failed else EXIT_PASS


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dirs", type=pathlib.Path, nargs="+", metavar="RUN_DIR")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--compute-dtype", choices=("float64", "float32"),
                        help="default: float64 on cpu, float32 on cuda")
    parser.add_argument("--no-activation-quant", action="store_true",
                        help="fp8 runs: leave the activations unquantized (to see what that emulation is worth)")
    args = parser.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False  # float32 means float32 on the GPU too
    dtype = getattr(torch, args.compute_dtype or ("float32" if args.device.startswith("cuda") else "float64"))
    status = EXIT_PASS
    for run_dir in args.run_dirs:  # several runs share one start of torch and transformers
        try:
            status = max(status, check_run(run_dir, torch.device(args.device), dtype, not args.no_activation_quant))
        except BadInput as error:
            print(f"check_with_transformers: error: {error}", file=sys.stderr, flush=True)
            status = EXIT_BAD_INPUT
    return status


if __name__ == "__main__":
    sys.exit(main())
