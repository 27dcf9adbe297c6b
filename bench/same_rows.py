#!/usr/bin/env python3
"""Compares two results CSVs of the same cases, leaving out what differs from run to run: the
timing columns and those derived from them or from the peaks each run measures. check_rel_err
agrees within a relative 1e-3 (a sum of partial outputs may add in another order); every other
cell must be equal. Prints one line per difference, then the verdict; exits 1 on a difference.
Usage: same_rows.py A.csv B.csv"""
import csv
import sys

TIMING = {"latency_mean_ms", "latency_std_ms", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms",
          "latency_min_ms", "latency_max_ms", "throughput_tok_per_sec", "tflops", "hbm_gbps", "roofline_ms",
          "pct_of_roofline"}
CLOSE = {"check_rel_err": 1e-3}


def differences(a_rows, b_rows):
    """One line per cell that differs beyond what run to run allows, and per row one file lacks."""
    lines = []
    if len(a_rows) != len(b_rows):
        lines.append(f"{len(a_rows)} row(s) against {len(b_rows)}")
    for number, (a, b) in enumerate(zip(a_rows, b_rows), start=1):
        for column in a.keys() | b.keys():
            if column in TIMING or not differ(column, a.get(column), b.get(column)):
                continue
            lines.append(f"row {number} {column}: {a.get(column)} against {b.get(column)}")
    return sorted(lines)


def differ(column, a, b):
    if column not in CLOSE or not a or not b:
        return a != b
    return abs(float(a) - float(b)) > CLOSE[column] * max(abs(float(a)), abs(float(b)))


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def main(a_path, b_path):
    lines = differences(read(a_path), read(b_path))
    for line in lines:
        print(line)
    print(f"{a_path} and {b_path}: " + ("the same but for timing" if not lines else f"{len(lines)} difference(s)"))
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
