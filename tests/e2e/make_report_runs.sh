#!/usr/bin/env bash
# The runs the JSON schema and HTML report tests read (ctest fixture report_runs): tiny CPU runs,
# and a report overlaying two of them.
set -euo pipefail
bin=$1
out=$2
rm -rf "$out"
mkdir -p "$out"
tiny=(--num-experts 8 --num-experts-per-tok 2 --hidden-size 64 --intermediate-size 96 --benchmark-iters 3
      --device cpu --num-tokens 16 64 256)
# Every format; --profile-dir (not used without --profile) puts characters HTML must escape into
# the command line.
"$bin" "${tiny[@]}" --scenarios random imbalanced --check --profile-dir "<profiles> & 'quoted' \"dir\"" \
  --output-format csv markdown json html --output-file "$out/a" > "$out/a.log"
"$bin" "${tiny[@]}" --scenarios random imbalanced --tp-size 2 --ep-size 2 \
  --output-format json html --output-file "$out/b" > "$out/b.log"
# One implementation: the report says there is no speedup instead of drawing an empty chart.
"$bin" "${tiny[@]}" --scenarios balanced --implementations epmoe \
  --output-format json html --output-file "$out/single" > "$out/single.log"
# fp8 on a simulated EP mesh: its dtype and fp8 peak in the JSON.
"$bin" "${tiny[@]}" --scenarios random --dtype fp8 --tp-size 2 --ep-size 2 \
  --output-format json --output-file "$out/fp8" > "$out/fp8.log"
"$bin" report "$out/a.json" "$out/b.json" -o "$out/overlay.html" --label "EP=1" --label "EP=2 & TP=2 <sim>" \
  > "$out/report.log"
