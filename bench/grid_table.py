#!/usr/bin/env python3
"""Prints one table per results JSON (--output-format json): per token count, each implementation's
mean ms and % of the roofline, and above it the run's peaks against the most any row streamed and
the highest percentage (a roofline is an upper bound: nothing may exceed 100%)."""
import json
import sys


def summarize(doc):
    """The lines for one run."""
    model = doc["model"]["name"] or doc["model"]["description"]
    peaks = doc["peaks"]
    rows = [row for case in doc["cases"] for row in case["rows"]]
    most_gbps = max((r["hbm_gbps"] for r in rows if r["hbm_gbps"] is not None), default=0.0)
    most_pct = max((r["pct_of_roofline"] for r in rows if r["pct_of_roofline"] is not None), default=0.0)
    lines = [f"# {model}: peaks {peaks['bandwidth_gbps']:.0f} GB/s ({peaks['bandwidth_method']}), "
             f"{peaks['tflops']:.1f} TFLOP/s ({peaks['compute_method']})" if peaks else f"# {model}: no peaks",
             f"# most streamed {most_gbps:.0f} GB/s; highest {most_pct:.1f}% of the roofline"]
    impls = doc["benchmark"]["implementations"]
    lines.append(f"{'tokens':>7} " + " ".join(f"{impl + ' ms (%roof)':>22}" for impl in impls) + f" {'check':>9}")
    for case in doc["cases"]:
        by_impl = {r["implementation"]: r for r in case["rows"]}
        check = case["rows"][0]["check_rel_err"]
        lines.append(f"{case['num_tokens']:>7} " + " ".join(f"{cell(by_impl.get(impl)):>22}" for impl in impls) +
                     f" {'-' if check is None else format(check, '.2e'):>9}")
    return lines


def cell(row):
    """mean ms (% of roofline) of one row; '-' for a missing row or value."""
    if row is None:
        return "-"
    pct = row["pct_of_roofline"]
    return f"{row['latency_mean_ms']:.4f} ({'-' if pct is None else format(pct, '.1f')})"


def main(paths):
    for path in paths:
        with open(path) as f:
            print("\n".join(summarize(json.load(f))))


if __name__ == "__main__":
    main(sys.argv[1:])
