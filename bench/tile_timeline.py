#!/usr/bin/env python3
"""Summarises fused's tile timeline (MOEBENCH_TILE_TIMELINE=<prefix>, src/cuda/single_gpu/tile_timeline.hpp).

For each GEMM phase: how long it ran, how busy its CTAs were and how long they sat idle at its
end, how long its tiles took by height (with a tail past 128 rows, 65-128, at most 64) and how much
of that came after their mainloop (the epilogue, which no MMA overlaps), and how many tiles ran at
once through the phase (at each tenth of it).

With --decode (the decode kernel's timeline: one span per unit, a CTA's K steps within one output
tile), per GEMM instead: when the CTAs started and finished it (min, median, max over the CTAs),
the weight bytes they streamed per microsecond (a K step moves --step-kib KiB of weights), the
gaps between a CTA's units, and how long units took after their mainloop (the partial sums, the
counters and, for the unit that completes a tile, the finisher), or with the hand-off how long
the finisher warps took past the consumers' span (finished_us). Per CTA also the sum of that
after-mainloop time and its last end less that sum: about where the CTA would end if that time
left the consumers' path (what the hand-off is for), while its streaming stayed as it was.
Usage: tile_timeline.py [--decode [--step-kib N]] TIMELINE.csv...
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
        for key in ("tile", "cta", "expert", "rows", "n_block", "k_steps"):
            if key in t:
                t[key] = int(t[key])
        for key in ("start_us", "mainloop_end_us", "end_us", "finished_us"):
            if key in t:
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


def spread(values):
    """min / median / max of values, formatted."""
    return f"{min(values):7.2f} / {statistics.median(values):7.2f} / {max(values):7.2f}"


def decode_summary(units, gemm, step_kib):
    """The lines for one GEMM of a decode kernel's timeline, or [] if it has no units."""
    phase = [u for u in units if u["gemm"] == gemm]
    if not phase:
        return []
    by_cta = {}
    for u in phase:
        by_cta.setdefault(u["cta"], []).append(u)
    firsts, lasts, rates, gaps, cta_after, lasts_less_after = [], [], [], [], [], []
    for runs in by_cta.values():
        runs.sort(key=lambda u: u["start_us"])
        first, last = runs[0]["start_us"], runs[-1]["end_us"]
        firsts.append(first)
        lasts.append(last)
        cta_after.append(sum(u["end_us"] - u["mainloop_end_us"] for u in runs))
        lasts_less_after.append(last - cta_after[-1])
        steps = sum(u["k_steps"] for u in runs)
        if last > first:
            rates.append(steps * step_kib * 1.024 / (last - first))  # KiB per us -> MB/s / 1000 = GB/s
        gaps += [b["start_us"] - a["end_us"] for a, b in zip(runs, runs[1:])]
    begin, end = min(firsts), max(lasts)
    steps = sum(u["k_steps"] for u in phase)
    after = [u["end_us"] - u["mainloop_end_us"] for u in phase]
    lines = [f"{gemm}: {len(phase)} units ({steps} K steps) on {len(by_cta)} CTAs, {begin:.2f} to {end:.2f} us; "
             f"{steps * step_kib * 1.024 / (end - begin):.0f} GB/s over the phase" if end > begin else f"{gemm}: empty",
             f"  CTA first start (min / median / max) {spread(firsts)} us; last end {spread(lasts)} us",
             f"  GB/s a CTA while in the phase {spread(rates)}" if rates else "  no CTA ran a whole unit",
             f"  after the mainloop, us a unit {spread(after)}",
             f"  after the mainloops, us a CTA {spread(cta_after)}; its last end less that {spread(lasts_less_after)} us"]
    if gaps:
        lines.append(f"  gap between a CTA's units, us {spread(gaps)}")
    # With the hand-off the finisher warps finish a unit after the consumers' span ends.
    handed = [u["finished_us"] - u["end_us"] for u in phase if "finished_us" in u]
    if handed and max(handed) > 0:
        lines.append(f"  finished after the span's end (finisher warps), us a unit {spread(handed)}")
    return lines


def main(argv):
    decode = "--decode" in argv
    step_kib = 32.0
    paths = []
    args = iter(argv)
    for arg in args:
        if arg == "--decode":
            continue
        if arg == "--step-kib":
            step_kib = float(next(args))
            continue
        paths.append(arg)
    for path in paths:
        tiles = read(path)
        print(f"== {path}")
        for gemm in ("gate_up", "down"):
            if decode:
                print("\n".join(decode_summary(tiles, gemm, step_kib)))
                continue
            summary = phase_summary(tiles, gemm)
            if summary is not None:
                print("\n".join(format_summary(gemm, summary)))


if __name__ == "__main__":
    main(sys.argv[1:])
