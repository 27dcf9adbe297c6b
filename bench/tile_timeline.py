#!/usr/bin/env python3
"""Summarises fused's tile timeline (MOEBENCH_TILE_TIMELINE=<prefix>, src/cuda/tile_timeline.hpp).

For each GEMM phase: how long it ran, how busy its CTAs were and how long they sat idle at its
end, how long a tile of more than 64 rows and one of at most 64 took, and how many tiles ran at
once through the phase (at each tenth of it). Usage: tile_timeline.py TIMELINE.csv...
"""
import csv
import statistics
import sys


def read(path):
    with open(path) as f:
        tiles = list(csv.DictReader(f))
    for t in tiles:
        for key in ("tile", "cta", "expert", "rows", "n_block"):
            t[key] = int(t[key])
        t["start_us"], t["end_us"] = float(t["start_us"]), float(t["end_us"])
    return tiles


def summarise(path):
    tiles = read(path)
    print(f"== {path}")
    for gemm in ("gate_up", "down"):
        phase = [t for t in tiles if t["gemm"] == gemm]
        if not phase:
            continue
        begin = min(t["start_us"] for t in phase)
        end = max(t["end_us"] for t in phase)
        span = end - begin
        ctas = sorted({t["cta"] for t in phase})
        busy = sum(t["end_us"] - t["start_us"] for t in phase)
        last_end = [max(t["end_us"] for t in phase if t["cta"] == c) for c in ctas]
        idle = statistics.mean(end - t for t in last_end)
        print(f"{gemm}: {len(phase)} tiles on {len(ctas)} CTAs, {span:.1f} us; CTAs busy "
              f"{100 * busy / (len(ctas) * span):.1f}%, idle at the end {idle:.1f} us on average")
        for name, keep in (("> 64 rows", lambda t: t["rows"] > 64), ("<= 64 rows", lambda t: t["rows"] <= 64)):
            times = [t["end_us"] - t["start_us"] for t in phase if keep(t)]
            if times:
                print(f"  tiles of {name:10s} {len(times):5d}, {statistics.mean(times):8.2f} us mean,"
                      f" {min(times):8.2f} min, {max(times):8.2f} max")
        running = []
        for tenth in range(10):
            at = begin + span * (tenth + 0.5) / 10
            running.append(sum(1 for t in phase if t["start_us"] <= at < t["end_us"]))
        print("  tiles running at each tenth: " + " ".join(str(n) for n in running))


if __name__ == "__main__":
    for path in sys.argv[1:]:
        summarise(path)
