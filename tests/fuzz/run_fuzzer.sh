#!/usr/bin/env bash
# Runs one libFuzzer target for ctest: first every regression input once (past findings stay
# fixed), then fuzzing for SECONDS from the seed corpus. New inputs go to WORK_DIR/corpus, never
# into the repository; a finding is saved as WORK_DIR/crash-* (or leak-, timeout-, oom-) with the
# command that replays it.
# usage: run_fuzzer.sh FUZZER SEED_CORPUS REGRESSIONS WORK_DIR SECONDS
set -euo pipefail
fuzzer=$1 seeds=$2 regressions=$3 work=$4 seconds=$5
mkdir -p "$work/corpus"

shopt -s nullglob
replay=("$regressions"/*)
if [ ${#replay[@]} -gt 0 ]; then
  echo "run_fuzzer: replaying ${#replay[@]} regression input(s) from $regressions"
  "$fuzzer" -runs=1 "${replay[@]}"
fi

# -timeout: one input running 10 s is a hang; -rss_limit_mb: 2 GiB is far above any honest
# input's needs; -close_fd_mask=1: the targets' stdout is noise (reports go to stderr).
echo "run_fuzzer: fuzzing $(basename "$fuzzer") for ${seconds} s"
status=0
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -close_fd_mask=1 -print_final_stats=1 \
  -artifact_prefix="$work/" "$work/corpus" "$seeds" || status=$?
if [ $status -ne 0 ]; then
  echo "run_fuzzer: FAILED ($status); replay the finding with: $fuzzer $work/<crash|leak|timeout|oom>-*" >&2
  exit $status
fi
