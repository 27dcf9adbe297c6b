#!/usr/bin/env python3
"""bench/same_rows.py on rows whose differences are known. Usage: test_same_rows.py SCRIPT"""
import importlib.util
import sys

spec = importlib.util.spec_from_file_location("same_rows", sys.argv[1])
same_rows = importlib.util.module_from_spec(spec)
spec.loader.exec_module(same_rows)


def row(impl, mean_ms, max_load, check):
    return {"implementation": impl, "num_tokens": "64", "latency_mean_ms": mean_ms, "roofline_ms": "0.1",
            "max_load": max_load, "check_rel_err": check}


A = [row("fused", "0.5", "12", "1.000e-03"), row("epmoe", "0.6", "12", "")]
# Other timings and a check 0.05% away: the same.
assert same_rows.differences(A, [row("fused", "0.7", "12", "1.0005e-03"), row("epmoe", "0.9", "12", "")]) == []
# A load, a check 1% away, a check missing on one side, a row missing.
lines = same_rows.differences(A, [row("fused", "0.5", "13", "1.01e-03"), row("epmoe", "0.6", "12", "2e-3")])
assert lines == ["row 1 check_rel_err: 1.000e-03 against 1.01e-03", "row 1 max_load: 12 against 13",
                 "row 2 check_rel_err:  against 2e-3"], lines
assert same_rows.differences(A, A[:1]) == ["2 row(s) against 1"]
