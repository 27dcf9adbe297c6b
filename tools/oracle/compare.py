"""The comparison with transformers' output, and the lines the oracle prints: a header per run, one
line per case, a summary per run (docs/oracle.md)."""
import torch
import transformers

from .bad_input import BadInput
from .run_folder import FP8

IMPLEMENTATIONS = ("fused", "epmoe")  # the saved outputs a case may hold, as output.{implementation}


def errors(output, reference):
    """(max abs error, ||output - reference|| / ||reference||) in float64."""
    diff = output.double() - reference.double()
    norm = reference.double().norm()
    relative = (diff.norm() / norm).item() if norm > 0 else (0.0 if diff.abs().max() == 0 else float("inf"))
    return diff.abs().max().item(), relative


def topk_matches(hf_ids, saved_ids):
    """How many tokens chose the same experts (as sets: DeepSeek's routers return them unsorted)."""
    hf = [set(row) for row in hf_ids.tolist()]
    saved = [set(row) for row in saved_ids.tolist()]
    return sum(a == b for a, b in zip(hf, saved))


def implementation_verdicts(path, case, hf, tolerance, device):
    """(one "impl max ... rel ... PASS|FAIL" per saved output, True when every one passes)."""
    found = [impl for impl in IMPLEMENTATIONS if f"output.{impl}" in case]
    if not found:
        raise BadInput(f"{path} has no output.fused nor output.epmoe")
    verdicts, passed = [], True
    for impl in found:
        max_error, relative = errors(case[f"output.{impl}"].to(device), hf)
        ok = relative <= tolerance
        passed &= ok
        verdicts.append(f"{impl} max {max_error:.1e} rel {relative:.1e} {'PASS' if ok else 'FAIL'}")
    return verdicts, passed


def case_line(model_type, scenario, tokens, verdicts, hf_topk_ids, saved_topk_ids):
    """The case's line; the top-k part only where the block's top-k was recorded."""
    line = [f"{model_type:<12} {scenario} T={tokens:<5}", *verdicts]
    if hf_topk_ids is not None:
        line.append(f"topk ids match {topk_matches(hf_topk_ids.cpu(), saved_topk_ids)}/{tokens}")
    return "  ".join(line)


def fp8_note(run, quantizer):
    if run.dtype != FP8:
        return ""
    activations = ("activations quantized per token and 128 channels before each expert product (the "
                   "oracle's emulation)" if quantizer else "activations NOT quantized (--no-activation-quant)")
    return f"; {FP8}: e4m3 weights x block scales, {activations}"


def header_line(run, family, dtype, device, quantizer):
    return (f"# oracle: transformers {transformers.__version__} {family.block} (torch {torch.__version__}, "
            f"{str(dtype).replace('torch.', '')} on {device}); tolerance {run.tolerance:g}{fp8_note(run, quantizer)}; "
            f"run: {run.description.get('command_line', '?')}")


def summary_line(results, quantizer):
    failed = results.count(False)
    return (f"# {len(results)} case(s): " + (f"{failed} FAIL" if failed else "all pass")
            + (f"; activations quantized before {quantizer.products} expert products" if quantizer else ""))
