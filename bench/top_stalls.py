#!/usr/bin/env python3
"""Prints the rows of an `ncu --page source --csv` table with the most warp stall samples, and for
each the stall reasons that make up most of them. Usage: top_stalls.py TABLE.csv [N]"""
import csv
import sys


def number(text):
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return 0.0


def main():
    path, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 25
    with open(path, newline="") as f:
        lines = f.read().splitlines()
    # ncu may print notes before the table: start at the header row.
    start = next((i for i, line in enumerate(lines) if "Warp Stall Sampling" in line), None)
    if start is None:
        print("\n".join(lines[:20]))
        return
    rows = list(csv.DictReader(lines[start:]))
    total_key = next(k for k in rows[0] if k.startswith("Warp Stall Sampling (All"))
    reason_keys = [k for k in rows[0] if k.startswith("stall_") or k.startswith("Stall ")]
    label_keys = [k for k in rows[0] if k in ("# Address", "Address", "Line", "#", "Source", "File")]
    total = sum(number(r[total_key]) for r in rows) or 1.0
    print(f"{total:.0f} samples; columns: {', '.join(label_keys)}")
    for r in sorted(rows, key=lambda r: -number(r[total_key]))[:count]:
        samples = number(r[total_key])
        reasons = sorted(((number(r[k]), k) for k in reason_keys), reverse=True)[:3]
        why = ", ".join(f"{k.replace('stall_', '')} {v / samples:.0%}" for v, k in reasons if v > 0) if samples else ""
        label = " | ".join(r[k].strip()[:90] for k in label_keys)
        print(f"{samples / total:6.1%}  {label}  [{why}]")


if __name__ == "__main__":
    main()
