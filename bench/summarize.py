#!/usr/bin/env python3
"""Prints one table from the benchmark's CSV files: model, implementation, tokens, mean ms, % of roofline."""
import csv
import os
import sys


def main(paths):
    rows = []
    for path in paths:
        model = os.path.basename(path).rsplit(".", 1)[0].split("_", 2)[-1]
        with open(path, newline="") as f:
            for r in csv.DictReader(f):
                rows.append((model, r))
    print(f"{'model':<20} {'impl':<6} {'tokens':>6} {'mean_ms':>10} {'tflops':>8} {'GB/s':>8} {'%roof':>6} {'check':>9}")
    for model, r in rows:
        print(f"{model:<20} {r['implementation']:<6} {r['num_tokens']:>6} {float(r['latency_mean_ms']):>10.4f} "
              f"{r['tflops'] or '-':>8} {r['hbm_gbps'] or '-':>8} {r['pct_of_roofline'] or '-':>6} "
              f"{r['check_rel_err'] or '-':>9}")


if __name__ == "__main__":
    main(sys.argv[1:])
