#!/usr/bin/env python3
"""Summarises fused's tile timeline (MOEBENCH_TILE_TIMELINE=<prefix>, src/cuda/single_gpu/tile_timeline.hpp).

For each GEMM phase: how long it ran, how busy its CTAs were and how long they sat idle at its
end, how long its tiles took by height (with a tail past 128 rows, 65-128, at most 64) and how much
of that came after their mainloop (the epilogue, which no MMA overlaps), and how many tiles ran at
once through the phase (at each tenth of it). Usage: tile_timeline.py TIMELINE.csv...
"""
import csv
import statistics
import sys

# Tiles of more than 128 rows are 128-row tiles carrying an expert's last few rows (a tail).
KINDS = (("> 128 rows", lambda t: t["rows"] > 128), ("65-128 rows", lambda t: 64 < t["rows"] <= 128),
         ("<= 64 rows", lambda t: t["rows"] <= 64))


def read(path):
    with open(path) as f:
        tiles = list(csv.DictReader(f))
    for t in tiles:
        for key in ("tile", "cta", "expert", "rows", "n_block"):
            t[key] = int(t[key])
        for key in ("start_us", "mainloop_end_us", "end_us"):
            t[key] = float(t[key])
    return tiles


def phase_summary(tiles, gemm):
    """The numbers of one GEMM phase, or None if the timeline has none of its tiles."""
    phase = [t for t in tiles if t["gemm"] == gemm]
    if not phase:
        return None
    begin = min(t["start_us"] for t in phase)
    end = max(t["end_us"] for t in phase)
    span = end - begin
    ctas = sorted({t["cta"] for t in phase})
    busy = sum(t["end_us"] - t["start_us"] for t in phase)
    last_end = [max(t["end_us"] for t in phase if t["cta"] == c) for c in ctas]
    kinds = {}
    for name, keep in KINDS:
        kind = [t for t in phase if keep(t)]
        if kind:
            times = [t["end_us"] - t["start_us"] for t in kind]
            epilogue = statistics.mean(t["end_us"] - t["mainloop_end_us"] for t in kind)
            kinds[name] = (len(times), statistics.mean(times), min(times), max(times), epilogue)
    running = []
    for tenth in range(10):
        at = begin + span * (tenth + 0.5) / 10
        running.append(sum(1 for t in phase if t["start_us"] <= at < t["end_us"]))
    return {"tiles": len(phase), "ctas": len(ctas), "span_us": span, "busy_pct": 100 * busy / (len(ctas) * span),
            "idle_at_end_us": statistics.mean(end - t for t in last_end), "kinds": kinds, "running": running}


def format_summary(gemm, s):
    lines = [f"{gemm}: {s['tiles']} tiles on {s['ctas']} CTAs, {s['span_us']:.1f} us; CTAs busy "
             f"{s['busy_pct']:.1f}%, idle at the end {s['idle_at_end_us']:.1f} us on average"]
    for name, (count, mean, low, high, epilogue) in s["kinds"].items():
        lines.append(f"  tiles of {name:10s} {count:5d}, {mean:8.2f} us mean, {low:8.2f} min, {high:8.2f} max, "
                     f"{epilogue:6.2f} us of it after the mainloop")
    lines.append("  tiles running at each tenth: " + " ".join(str(n) for n in s["running"]))
    return lines


def main(paths):
    for path in paths:
        tiles = read(path)
        print(f"== {path}")
        for gemm in ("gate_up", "down"):
            summary = phase_summary(tiles, gemm)
            if summary is not None:
                print("\n".join(format_summary(gemm, summary)))


if __name__ == "__main__":
    main(sys.argv[1:])
