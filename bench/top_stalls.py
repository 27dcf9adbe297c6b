#!/usr/bin/env python3
"""Where a kernel's warps wait, from `ncu --page source --print-source sass --csv`: the
instructions with the most warp-stall samples and their main stall reasons, and, given the
kernel's disassembly with line info (`nvdisasm -g`), the samples summed per source line.

Usage: top_stalls.py TABLE.csv [--top N] [--disassembly FILE.dis]"""
import argparse
import collections
import csv
import re


def number(text):
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return 0.0


def read_table(path):
    with open(path, newline="") as f:
        lines = f.read().splitlines()
    # ncu prints the kernel name and notes before the table: start at its header row.
    start = next(i for i, line in enumerate(lines) if "Warp Stall Sampling" in line)
    kernel = next((line for line in lines[:start] if "Kernel Name" in line), "")
    return kernel, list(csv.DictReader(lines[start:]))


def line_table(path, kernel_name):
    """Offset within the kernel -> (file, line), for the kernel whose mangled name ncu reports."""
    # ncu names the kernel demangled ("void ns::fused_moe_kernel<(int)2>(Args)"); the section
    # names are mangled ("..fused_moe_kernelILi2EEEv..").
    found = re.search(r"(\w+)<\(int\)(\d+)>\(", kernel_name) or re.search(r"(\w+)\(", kernel_name)
    key = (found.group(1) + (f"ILi{found.group(2)}E" if found.lastindex == 2 else "")) if found else ""
    lines, inside, where = {}, False, None
    with open(path) as f:
        for text in f:
            if text.startswith("//---") and ".text." in text:
                inside = key in text
                continue
            if not inside:
                continue
            found = re.search(r'//## File "([^"]+)", line (\d+)', text)
            if found:
                where = f"{found.group(1).split('/')[-1]}:{found.group(2)}"
                continue
            found = re.match(r"\s*/\*([0-9a-f]{4,})\*/", text)
            if found:
                lines[int(found.group(1), 16)] = where
    return lines


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("table")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--disassembly")
    args = parser.parse_args()
    kernel, rows = read_table(args.table)
    samples_key = next(k for k in rows[0] if k.startswith("Warp Stall Sampling (All"))
    reason_keys = [k for k in rows[0] if k.startswith("stall_")]
    total = sum(number(r[samples_key]) for r in rows) or 1.0
    print(f"{total:.0f} samples")
    for r in sorted(rows, key=lambda r: -number(r[samples_key]))[: args.top]:
        samples = number(r[samples_key])
        reasons = sorted(((number(r[k]), k) for k in reason_keys), reverse=True)[:2]
        why = ", ".join(f"{k[len('stall_'):]} {v / samples:.0%}" for v, k in reasons if v > 0 and samples)
        print(f"{samples / total:6.1%}  {r['Address'][-6:]}  {r['Source'].strip()[:70]}  [{why}]")
    if args.disassembly:
        lines = line_table(args.disassembly, kernel)
        base = int(rows[0]["Address"], 16)
        per_line = collections.Counter()
        for r in rows:
            per_line[lines.get(int(r["Address"], 16) - base, "?")] += number(r[samples_key])
        print("per source line (scheduling blurs neighbouring lines):")
        for where, samples in per_line.most_common(args.top):
            print(f"{samples / total:6.1%}  {where}")


if __name__ == "__main__":
    main()
