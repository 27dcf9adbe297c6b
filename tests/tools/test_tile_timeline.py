#!/usr/bin/env python3
"""bench/tile_timeline.py on a timeline whose numbers are known. Usage: test_tile_timeline.py SCRIPT"""
import importlib.util
import os
import sys
import tempfile

spec = importlib.util.spec_from_file_location("tile_timeline", sys.argv[1])
tile_timeline = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tile_timeline)

# Two CTAs. gate_up: CTA 0 runs two tiles back to back over 20 us (one of them carrying a tail),
# CTA 1 one short tile over the first 10 us and then idles. down: one tile on CTA 1.
ROWS = """gemm,tile,cta,start_us,mainloop_end_us,end_us,expert,rows,n_block
gate_up,0,0,0.000,9.000,10.000,0,128,0
gate_up,1,1,0.000,9.500,10.000,0,32,0
gate_up,2,0,10.000,18.000,20.000,1,150,0
down,0,1,25.000,34.000,35.000,0,128,0
"""

with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "timeline_T64.csv")
    with open(path, "w") as f:
        f.write(ROWS)
    tiles = tile_timeline.read(path)

gate_up = tile_timeline.phase_summary(tiles, "gate_up")
assert gate_up["tiles"] == 3 and gate_up["ctas"] == 2, gate_up
assert abs(gate_up["span_us"] - 20.0) < 1e-9, gate_up
assert abs(gate_up["busy_pct"] - 75.0) < 1e-9, gate_up  # 30 us of tiles in 2 CTAs x 20 us
assert abs(gate_up["idle_at_end_us"] - 5.0) < 1e-9, gate_up  # CTA 1 idles the last 10 us
assert gate_up["kinds"]["> 128 rows"] == (1, 10.0, 10.0, 10.0, 2.0), gate_up
assert gate_up["kinds"]["65-128 rows"] == (1, 10.0, 10.0, 10.0, 1.0), gate_up
assert gate_up["kinds"]["<= 64 rows"] == (1, 10.0, 10.0, 10.0, 0.5), gate_up
assert gate_up["running"] == [2, 2, 2, 2, 2, 1, 1, 1, 1, 1], gate_up

down = tile_timeline.phase_summary(tiles, "down")
assert down["tiles"] == 1 and abs(down["span_us"] - 10.0) < 1e-9 and down["busy_pct"] == 100.0, down
assert tile_timeline.phase_summary([t for t in tiles if t["gemm"] == "down"], "gate_up") is None

lines = tile_timeline.format_summary("gate_up", gate_up)
assert lines[0] == "gate_up: 3 tiles on 2 CTAs, 20.0 us; CTAs busy 75.0%, idle at the end 5.0 us on average", lines
assert lines[1] == "  tiles of > 128 rows     1,    10.00 us mean,    10.00 min,    10.00 max,   2.00 us of it after the mainloop", lines
assert lines[-1] == "  tiles running at each tenth: 2 2 2 2 2 1 1 1 1 1", lines
# A decode timeline with the hand-off: two CTAs, CTA 0 two units (3 and 2 K steps), CTA 1 one
# (5 steps); the finisher warps finish each unit 1, 2 and 4 us after the consumers' span ends.
DECODE_ROWS = """gemm,tile,cta,start_us,mainloop_end_us,end_us,expert,rows,n_block,k_steps,finished_us
gate_up,0,0,0.000,3.000,3.500,0,1,0,3,4.500
gate_up,1,0,3.500,5.500,6.000,0,1,1,2,8.000
gate_up,0,1,0.000,5.000,5.500,1,1,0,5,9.500
"""
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "decode_T1.csv")
    with open(path, "w") as f:
        f.write(DECODE_ROWS)
    units = tile_timeline.read(path)
lines = tile_timeline.decode_summary(units, "gate_up", 32.0)
assert lines[0].startswith("gate_up: 3 units (10 K steps) on 2 CTAs, 0.00 to 6.00 us"), lines
assert lines[3] == "  after the mainloop, us a unit    0.50 /    0.50 /    0.50", lines
# CTA 0: 0.5 + 0.5 us after its two mainloops, last end 6.0; CTA 1: 0.5, last end 5.5.
assert lines[4] == ("  after the mainloops, us a CTA    0.50 /    0.75 /    1.00; its last end less that    5.00 /"
                    "    5.00 /    5.00 us"), lines
assert lines[-1] == "  finished after the span's end (finisher warps), us a unit    1.00 /    2.00 /    4.00", lines
# Without the hand-off finished_us equals end_us: no such line.
for u in units:
    u["finished_us"] = u["end_us"]
assert not any("finisher warps" in line for line in tile_timeline.decode_summary(units, "gate_up", 32.0))
print("tile_timeline.py: ok")
