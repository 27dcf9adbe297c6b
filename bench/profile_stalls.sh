#!/usr/bin/env bash
# On the GPU machine: where the warps of one benchmark case's fused kernel wait. Nsight Compute's
# warp-stall sampling per SASS instruction, summed per source line through the kernel's line
# table (the kernels carry -lineinfo); the top entries printed, the full tables kept.
# Usage: bench/profile_stalls.sh NAME ARGS...
# Writes $OUT/stalls_NAME.{ncu-rep,sass.csv,dis}. Never changes clocks.
set -uo pipefail
# shellcheck source=bench/device_env.sh
source "$(dirname "$0")/device_env.sh"
name=$1
shift
report="$out/stalls_$name"
timeout 300 ncu --clock-control none --kernel-name regex:"${KERNELS:-fused_moe}" --launch-skip 1 --launch-count 1 \
  --section WarpStateStats --section SourceCounters --import-source no -f -o "$report" \
  "$bundle/bin/bench_fused_vs_epmoe" --device cuda --no-cuda-graph --warmup-iters 1 --benchmark-iters 1 \
  --implementations fused --scenarios random --output-file "$out/stalls_run_$name" "$@" >"$report.log" 2>&1
echo "ncu exit $?"
ncu --import "$report.ncu-rep" --page source --print-source sass --csv >"$report.sass.csv" 2>&1
# Source lines of each instruction, from the kernel's own line table (-lineinfo), where the
# toolkit's disassembler is at hand.
lines=()
if command -v cuobjdump >/dev/null && command -v nvdisasm >/dev/null; then
  cubins=$(mktemp -d)
  (cd "$cubins" && cuobjdump -xelf all "$bundle/bin/bench_fused_vs_epmoe" >/dev/null 2>&1)
  for cubin in "$cubins"/*.cubin; do nvdisasm -g "$cubin"; done >"$report.dis" 2>/dev/null
  rm -rf "$cubins"
  lines=(--disassembly "$report.dis")
fi
echo "-- $name: where the warps wait"
python3 "$root/bench/top_stalls.py" "$report.sass.csv" --top "${TOP:-25}" "${lines[@]}"
