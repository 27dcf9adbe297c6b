"""One saved run checked: its family's block prepared once, then each case fed to it, compared and printed."""
import contextlib
import dataclasses

import torch

from .bad_input import BadInput
from .block import TopkRecorder, build_block, load_weights, route_on_saved_logits
from .compare import case_line, header_line, implementation_verdicts, summary_line
from .families import Family, family_and_config
from .fp8 import ActivationQuantizer
from .run_folder import FP8, case_files, load_run, read_case, scenario_name


@dataclasses.dataclass
class PreparedBlock:
    """A family's block filled with a run's experts, routed on the logits that set_logits gives it."""
    model_type: str
    family: Family
    module: torch.nn.Module
    set_logits: object  # function of the logits [T, E] for the next forward
    num_experts: int
    top_k: int
    dtype: torch.dtype  # what the block computes in
    device: torch.device
    quantizer: object  # the ActivationQuantizer of an fp8 run, None otherwise


def expert_quantizer(module, expert_names):
    parameters = dict(module.named_parameters())
    return ActivationQuantizer([parameters[name] for name in expert_names])


def prepare_block(run, device, dtype, quantize_activations):
    model_type, family, config = family_and_config(run)
    num_experts = int(run.description.get("num_experts") or config.num_local_experts)
    top_k = int(run.description.get("top_k") or config.num_experts_per_tok)
    dtype = getattr(torch, family.compute_dtype) if family.compute_dtype else dtype
    module = build_block(family, config)
    expert_names = load_weights(module, family, run, num_experts, dtype, device)
    module.eval()
    set_logits = route_on_saved_logits(module, family, num_experts, dtype, device)
    quantizer = expert_quantizer(module, expert_names) if run.dtype == FP8 and quantize_activations else None
    return PreparedBlock(model_type, family, module, set_logits, num_experts, top_k, dtype, device, quantizer)


def forward(block, x, router_logits):
    """transformers' output [T, H] for x [T, H] routed on router_logits, and the top-k ids it chose
    (None where no top-k over all experts was seen)."""
    tokens = x.shape[0]
    block.set_logits(router_logits.to(device=block.device))
    recorder = TopkRecorder(block.num_experts, block.top_k)
    with torch.no_grad(), block.quantizer or contextlib.nullcontext(), recorder:
        result = block.module(x.reshape(1, tokens, -1))
    return (result[0] if isinstance(result, tuple) else result).reshape(tokens, -1), recorder.ids


def check_case(path, run, block):
    """Prints the case's line; True when every implementation passes."""
    case, metadata = read_case(path)
    x = case["x"].to(device=block.device, dtype=block.dtype)
    hf, hf_topk_ids = forward(block, x, case["router_logits"])
    verdicts, passed = implementation_verdicts(path, case, hf, run.tolerance, block.device)
    print(case_line(block.model_type, scenario_name(path, metadata), x.shape[0], verdicts, hf_topk_ids,
                    case["topk_ids"]), flush=True)
    return passed


def check_run(folder, device, dtype, quantize_activations=True):
    """Prints the run's header, case lines and summary; True when every case passes."""
    run = load_run(folder)
    block = prepare_block(run, device, dtype, quantize_activations)
    print(header_line(run, block.family, block.dtype, device, block.quantizer), flush=True)
    results = [check_case(path, run, block) for path in case_files(run)]
    if block.quantizer and block.quantizer.products == 0:  # transformers computes its experts some way not intercepted
        raise BadInput(f"no product with an expert weight of {block.family.block} was seen: the activations of this "
                       f"{FP8} run could not be quantized")
    print(summary_line(results, block.quantizer))
    return False not in results
