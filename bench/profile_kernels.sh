#!/usr/bin/env bash
# On the GPU machine: Nsight Compute on the GEMM kernels of one benchmark case, to see whether
# they are bound by the tensor pipe, DRAM, or stalls. Usage: bench/profile_kernels.sh NAME ARGS...
# Writes $OUT/ncu_NAME.txt. Never changes clocks (--clock-control none).
set -uo pipefail
# shellcheck source=bench/device_env.sh
source "$(dirname "$0")/device_env.sh"
name=$1
shift
timeout 300 ncu --clock-control none --kernel-name regex:"${KERNELS:-grouped|fused_moe}" --launch-count "${LAUNCHES:-3}" \
  --section SpeedOfLight --section WarpStateStats --section MemoryWorkloadAnalysis --section LaunchStats \
  --section Occupancy --section ComputeWorkloadAnalysis \
  "$bundle/bin/bench_fused_vs_epmoe" --device cuda --no-cuda-graph --warmup-iters 0 --benchmark-iters 1 \
  --scenarios random --output-file "$out/profiled_$name" "$@" >"$out/ncu_$name.txt" 2>&1
echo "ncu exit $?"
grep -E "^  [a-z_]+.*\(|Duration|DRAM Throughput|Compute \(SM\) Throughput|Memory Throughput|L2 Cache Throughput|Stall|Registers Per|Achieved Occupancy|Warp Cycles Per Issued|Tensor|Pipe|L2 Hit|Mem Pipes|Issue Slots" "$out/ncu_$name.txt" | head -90
