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
This file is the command line; the oracle itself is the package tools/oracle/, found beside it
from any working directory.
"""
import argparse
import pathlib
import sys

try:
    import safetensors  # noqa: F401 (imported here so that a missing package is one line and exit 2)
    import safetensors.torch  # noqa: F401
    import torch
    import transformers  # noqa: F401
except ImportError as missing:
    print(f"check_with_transformers: error: {missing} (tools/oracle_requirements.txt lists what it needs)",
          file=sys.stderr)
    sys.exit(2)

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))  # the oracle package beside this file
from oracle.bad_input import BadInput  # noqa: E402
from oracle.check import check_run  # noqa: E402

EXIT_PASS, EXIT_FAIL, EXIT_BAD_INPUT = 0, 1, 2


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dirs", type=pathlib.Path, nargs="+", metavar="RUN_DIR")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--compute-dtype", choices=("float64", "float32"),
                        help="default: float64 on cpu, float32 on cuda")
    parser.add_argument("--no-activation-quant", action="store_true",
                        help="fp8 runs: leave the activations unquantized (to see what that emulation is worth)")
    return parser.parse_args()


def main():
    args = parse_arguments()
    torch.backends.cuda.matmul.allow_tf32 = False  # float32 means float32 on the GPU too
    dtype = getattr(torch, args.compute_dtype or ("float32" if args.device.startswith("cuda") else "float64"))
    status = EXIT_PASS
    for run_dir in args.run_dirs:  # several runs share one start of torch and transformers
        try:
            passed = check_run(run_dir, torch.device(args.device), dtype, not args.no_activation_quant)
            status = max(status, EXIT_PASS if passed else EXIT_FAIL)
        except BadInput as error:
            print(f"check_with_transformers: error: {error}", file=sys.stderr, flush=True)
            status = EXIT_BAD_INPUT
    return status


if __name__ == "__main__":
    sys.exit(main())
