#!/usr/bin/env python3
"""bench/grid_table.py on a run whose numbers are known. Usage: test_grid_table.py SCRIPT"""
import importlib.util
import sys

spec = importlib.util.spec_from_file_location("grid_table", sys.argv[1])
grid_table = importlib.util.module_from_spec(spec)
spec.loader.exec_module(grid_table)


def row(impl, tokens, ms, gbps, pct, check):
    return {"implementation": impl, "num_tokens": tokens, "latency_mean_ms": ms, "hbm_gbps": gbps,
            "pct_of_roofline": pct, "check_rel_err": check}


# Two cases; at T=1 epmoe has no roofline (a run without peaks would have none anywhere).
RUN = {
    "model": {"name": "deepseek-ai/DeepSeek-V3", "description": "256 experts"},
    "peaks": {"bandwidth_gbps": 3210.4, "bandwidth_method": "bulk-copy read of 21.0 GiB",
              "tflops": 812.34, "compute_method": "cuBLAS bf16 GEMM 8192x8192x16384"},
    "benchmark": {"implementations": ["fused", "epmoe"]},
    "cases": [
        {"num_tokens": 1, "rows": [row("fused", 1, 0.05, 3000.0, 93.4, 1.5e-3),
                                   row("epmoe", 1, 0.06, 2500.0, None, 1.5e-3)]},
        {"num_tokens": 64, "rows": [row("fused", 64, 6.0, 3190.6, 99.4, None),
                                    row("epmoe", 64, 6.1, 3137.0, 97.7, None)]},
    ],
}

lines = grid_table.summarize(RUN)
assert lines[0] == ("# deepseek-ai/DeepSeek-V3: peaks 3210 GB/s (bulk-copy read of 21.0 GiB), 812.3 TFLOP/s "
                    "(cuBLAS bf16 GEMM 8192x8192x16384)"), lines[0]
assert lines[1] == "# most streamed 3191 GB/s; highest 99.4% of the roofline", lines[1]
assert lines[2].split() == ["tokens", "fused", "ms", "(%roof)", "epmoe", "ms", "(%roof)", "check"], lines[2]
assert lines[3].split() == ["1", "0.0500", "(93.4)", "0.0600", "(-)", "1.50e-03"], lines[3]
assert lines[4].split() == ["64", "6.0000", "(99.4)", "6.1000", "(97.7)", "-"], lines[4]
assert grid_table.summarize(dict(RUN, peaks=None))[0] == "# deepseek-ai/DeepSeek-V3: no peaks"
