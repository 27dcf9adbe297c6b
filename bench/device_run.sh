#!/usr/bin/env bash
# On the GPU machine: GPU tests, compute-sanitizer on small shapes, the one-GPU benchmark of
# issue 4, the decode and prefill grids of issues 20, 21 and 24, the FP8 grid of issue 22, the
# multi-GPU tests and the seed's case 1 on 4 GPUs (issue 5). Logs and result files go to $OUT (results.tar.gz plus
# summary.txt, the table printed last).
# Usage: bench/device_run.sh [tests|sanitize|bench|floor|decode|decode-handoff|fp8-decode-handoff|route-in-cta|decode-phases|decode-timeline|prefill|fp8|fp8-decode|fp8-prefill|fp8-all|cluster|fp8-fused-x|fp8-mesh|l2flush|oracle|ncu|stalls|phases|timeline|multigpu|case1|exchange|launchers|repro|all]...
# (default: all; ncu, stalls, timeline, floor, decode, decode-handoff, fp8-decode-handoff, route-in-cta, decode-timeline, decode-phases, prefill, fp8, fp8-decode, fp8-prefill, fp8-all, cluster, fp8-fused-x,
# fp8-mesh, l2flush, oracle and launchers run only when named)
# repro runs only with REPRO set to some of: tp4 tp4-long tp4-reverse tp4-eager ep2tp2 tp2 ep4
# one-gpu-i192 tp4-i384. With DEVICE_SECONDS (the call's limit) a stage is skipped, with one line,
# when less than STAGE_RESERVE (90) seconds are left as it would start.
set -uo pipefail
# shellcheck source=bench/device_env.sh
source "$(dirname "$0")/device_env.sh"
work="$out/work"
mkdir -p "$work"
bench="$bundle/bin/bench_fused_vs_epmoe"
tests="$bundle/bin/gpu_tests"
export MOEBENCH_BINARY="$bench"  # for the multi-node tests, which start it
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(all)
# DEVICE_SECONDS: the call's time limit (the device tool's timeout). A stage that would start
# with less than STAGE_RESERVE seconds (default 90) of it left is skipped with one line, so that
# the stages before it come back whole instead of the call being cut mid-stage.
started=$(date +%s)
time_left() { echo $((${DEVICE_SECONDS:-100000} - ($(date +%s) - started))); }
in_budget() {
  [ "$(time_left)" -ge "${STAGE_RESERVE:-90}" ] && return 0
  echo "== $1 skipped: $(time_left) s of DEVICE_SECONDS left"
  return 1
}
wants() { for s in "${stages[@]}"; do [ "$s" = "$1" ] || [ "$s" = all ] && { in_budget "$1"; return; }; done; return 1; }
# The stages that run only when named, not under all.
named() { for s in "${stages[@]}"; do [ "$s" = "$1" ] && { in_budget "$1"; return; }; done; return 1; }

{
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.mem --format=csv
  nproc
} >"$work/machine.txt" 2>&1
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1 | tr ' ' '_')

# Issue 4's models, and its three hardest cases ("model tokens") for the ncu and phases stages.
declare -A models=(
  [qwen3-30b-a3b]="--num-experts 128 --num-experts-per-tok 8 --hidden-size 2048 --intermediate-size 768"
  [qwen1.5-moe-a2.7b]="--num-experts 60 --num-experts-per-tok 4 --hidden-size 2048 --intermediate-size 1408"
  [mixtral-8x7b]="--num-experts 8 --num-experts-per-tok 2 --hidden-size 4096 --intermediate-size 14336"
)
misses=("qwen3-30b-a3b 4096" "qwen1.5-moe-a2.7b 4096" "mixtral-8x7b 1024")

if wants tests; then
  echo "== gpu tests"
  timeout "${TEST_TIMEOUT:-300}" "$tests" ${TEST_FILTER:+--gtest_filter="$TEST_FILTER"} 2>&1 | tee "$work/gpu_tests.log" |
    grep -E "^\[  (PASSED|FAILED|SKIPPED) |Failure|rel|FAILED TEST|error" | head -40
  echo "gpu_tests exit ${PIPESTATUS[0]}"
fi

if wants sanitize; then
  for tool in ${SANITIZE_TOOLS:-memcheck racecheck synccheck}; do
    echo "== compute-sanitizer --tool $tool (${SANITIZE_FILTER:-GpuMoe.SmallShapes*})"
    timeout 300 compute-sanitizer --tool "$tool" --error-exitcode 9 "$tests" --gtest_filter="${SANITIZE_FILTER:-GpuMoe.SmallShapes*}" \
      >"$work/sanitizer_$tool.log" 2>&1
    echo "exit $?: $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|PASSED|FAILED' "$work/sanitizer_$tool.log" | tr '\n' ' ')"
  done
fi

if wants bench; then
  written=()
  for name in ${BENCH_MODELS:-qwen3-30b-a3b qwen1.5-moe-a2.7b mixtral-8x7b}; do
    echo "== bench $name"
    file="$work/$(date +%F)_${gpu}_${name}${BENCH_TAG:+_$BENCH_TAG}"
    # shellcheck disable=SC2086
    # BENCH_BINARY/BENCH_TAG: a second build timed in the same call (a baseline), its files tagged.
    timeout 300 "${BENCH_BINARY:-$bench}" --device cuda ${models[$name]} \
      --num-tokens ${BENCH_TOKENS:-1 8 64 256 1024 4096 16384} --scenarios ${BENCH_SCENARIOS:-random} \
      --warmup-iters 3 --benchmark-iters 20 --check --output-format csv markdown json --output-file "$file" 2>&1 |
      tee "$work/bench_$name${BENCH_TAG:+_$BENCH_TAG}.log" | tail -16
    written+=("$file.csv")
  done
  python3 "$root/bench/summarize.py" "${written[@]}" | tee -a "$out/summary.txt"
fi

# The floor under a decode layer (bench/stream_floor.cu, built here with the machine's nvcc): one
# launch streaming a decode cell's weight bytes after the read flush, by TMA boxes and by bulk copies.
if named floor; then
  echo "== stream floor"
  "$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)" -O3 -std=c++20 -gencode=arch=compute_90a,code=sm_90a -I"$root/kernels/include" "$root/bench/stream_floor.cu" \
    "$root/kernels/src/tensor_maps.cpp" -o "$work/stream_floor" && timeout 120 "$work/stream_floor" | tee "$work/stream_floor.txt"
fi

# The decode grid (issue 20: T = 1 to 64, cold L2) and the prefill grid (issue 21: T = 1024 to
# 16384) on the models' presets; the header's peaks and the highest row of each file are in
# grid_table.py's summary. GRID_MODELS and GRID_TOKENS narrow a grid.
declare -A presets=(
  [qwen3-30b-a3b]=Qwen/Qwen3-30B-A3B
  [qwen1.5-moe-a2.7b]=Qwen/Qwen1.5-MoE-A2.7B
  [mixtral-8x7b]=mistralai/Mixtral-8x7B-v0.1
  [deepseek-v3]=deepseek-ai/DeepSeek-V3
  [gpt-oss-120b]=openai/gpt-oss-120b
)
run_grid() {
  local grid=$1 models=$2 tokens=$3
  shift 3
  for name in ${GRID_MODELS:-$models}; do
    local file="$work/$(date +%F)_${gpu}_${grid}_${name}${BENCH_TAG:+_$BENCH_TAG}"
    echo "== $grid $name"
    # shellcheck disable=SC2086
    timeout 400 "${BENCH_BINARY:-$bench}" --device cuda --model-path "${presets[$name]}" \
      --num-tokens ${GRID_TOKENS:-$tokens} --scenarios random --warmup-iters 3 --benchmark-iters 20 --check "$@" \
      --verbose --output-format csv markdown json --output-file "$file" >"$file.log" 2>"$file.err"
    echo "exit $? $(grep -E 'bandwidth over|cuBLAS bf16 GEMM|e4m3 GEMM|warning' "$file.err" | tr '\n' ' ')"
  done
  python3 "$root/bench/grid_table.py" "$work"/*_"$gpu"_"$grid"_*.json | tee -a "$out/summary.txt"
}
if named decode; then
  run_grid decode "qwen3-30b-a3b qwen1.5-moe-a2.7b mixtral-8x7b deepseek-v3 gpt-oss-120b" "1 2 4 8 16 32 64" --cold-l2
fi
# What the cold-L2 flush itself costs the layer: the same cases after a read flush (the default),
# after a write flush (MOEBENCH_L2_FLUSH=write: L2 left full of dirty lines) and with L2 warm;
# L2FLUSH_ARGS adds flags (--dtype fp8), BENCH_TAG names its files.
if named l2flush; then
  for name in ${GRID_MODELS:-qwen3-30b-a3b mixtral-8x7b}; do
    for mode in read write warm; do
      echo "== l2flush $name $mode"
      # warm: no flush at all (MOEBENCH_L2_FLUSH takes only read or write, and only with --cold-l2).
      flags=(--cold-l2)
      flush=$mode
      [ "$mode" = warm ] && flags=() && flush=read
      # shellcheck disable=SC2086
      MOEBENCH_L2_FLUSH=$flush timeout 300 "${BENCH_BINARY:-$bench}" --device cuda --model-path "${presets[$name]}" \
        --num-tokens ${GRID_TOKENS:-1 8 64} --scenarios random --warmup-iters 3 --benchmark-iters 20 "${flags[@]}" \
        ${L2FLUSH_ARGS:-} --output-format csv --output-file "$work/l2flush_${name}_$mode${BENCH_TAG:+_$BENCH_TAG}" \
        2>"$work/l2flush_${name}_$mode${BENCH_TAG:+_$BENCH_TAG}.err" | grep -E "fused|epmoe" | awk '{print $2, $3, $4, $NF}'
    done
  done
fi
# The decode kernel's own stage stamps (--profile, eager launches) at T = 1, 8 and 64: where its
# fixed cost and its per-token growth go. MOEBENCH_DECODE=on shows the decode kernel at every T
# (by default fused takes it up to 16 tokens).
if named decode-phases; then
  for name in ${GRID_MODELS:-qwen3-30b-a3b mixtral-8x7b}; do
    tag=${BENCH_TAG:+_$BENCH_TAG}
    echo "== decode-phases $name$tag"
    # shellcheck disable=SC2086
    timeout 200 "${BENCH_BINARY:-$bench}" --device cuda --model-path "${presets[$name]}" --num-tokens ${GRID_TOKENS:-1 8 64} \
      --scenarios random --implementations fused --warmup-iters 3 --benchmark-iters 10 --cold-l2 --profile \
      --profile-dir "$work/decode_phases_$name$tag" --verbose --output-format csv \
      --output-file "$work/decode_phases_$name$tag" >"$work/decode_phases_$name$tag.log" 2>&1
    echo "exit $?"
    grep -E "stages of| ms  (route|sort|gate_up|down|combine)|top by total|fused_moe|T=" "$work/decode_phases_$name$tag.log" |
      grep -v "loads max" | head -40
  done
fi
# The decode kernel's own timeline (MOEBENCH_TILE_TIMELINE: a span per unit, a CTA's K steps in
# one output tile) after the read flush, eager launches: when each CTA starts and ends each GEMM,
# what it streams meanwhile and what each unit costs after its mainloop (tile_timeline.py --decode).
# TIMELINE_ARGS adds flags (--dtype fp8: the FP8 decode kernel), BENCH_TAG names its files.
if named decode-timeline; then
  for name in ${GRID_MODELS:-qwen3-30b-a3b mixtral-8x7b}; do
    tag=${BENCH_TAG:+_$BENCH_TAG}
    echo "== decode-timeline $name$tag"
    # shellcheck disable=SC2086
    MOEBENCH_TILE_TIMELINE="$work/decode_timeline_$name$tag" timeout 200 "${BENCH_BINARY:-$bench}" --device cuda \
      --model-path "${presets[$name]}" --num-tokens ${GRID_TOKENS:-1 8} --scenarios random --implementations fused \
      --warmup-iters 2 --benchmark-iters 5 --cold-l2 --no-cuda-graph ${TIMELINE_ARGS:-} --output-format csv \
      --output-file "$work/decode_timeline_$name$tag" >"$work/decode_timeline_$name$tag.log" 2>&1
    echo "exit $?"
    python3 "$root/bench/tile_timeline.py" --decode "$work/decode_timeline_$name${tag}"_T*.csv
  done
fi
# Issue 22: block-scaled FP8 on the shapes of its targets, cold L2 up to 64 tokens, then 256 to
# 16384 tokens. fp8-decode runs only the first part (with MOEBENCH_DECODE=on|off and BENCH_TAG,
# the FP8 decode kernel against the tiled one), fp8-prefill only the second. fp8-all runs the
# whole grid in one run per model (each model's weights set up once: DeepSeek-V3's take ~110 s),
# with L2 cold at every T, which a layer past 64 tokens, streaming GBs, hardly notices.
if named fp8-all; then
  run_grid fp8-all "qwen3-30b-a3b mixtral-8x7b deepseek-v3 gpt-oss-120b" "1 8 64 256 1024 4096 16384" --dtype fp8 \
    --cold-l2
fi
if named fp8 || named fp8-decode; then
  run_grid fp8-decode "qwen3-30b-a3b mixtral-8x7b deepseek-v3 gpt-oss-120b" "1 8 64" --dtype fp8 --cold-l2
fi
if named fp8 || named fp8-prefill; then
  run_grid fp8 "qwen3-30b-a3b mixtral-8x7b deepseek-v3 gpt-oss-120b" "256 1024 4096 16384" --dtype fp8
fi
# epmoe's clustered tiled GEMMs (MOEBENCH_GEMM_CLUSTER=on: pairs of CTAs multicast the weight
# tiles they share; docs/cuda_design.md, docs/fp8.md) against the default engines in one call, in
# bf16 and in FP8 (CLUSTER_DTYPES), the files of each setting tagged cluster-off and cluster-on
# (fused, which the switch leaves alone, runs too: --check compares the two). GRID_MODELS adds
# DeepSeek-V3 or gpt-oss.
if named cluster; then
  for dtype in ${CLUSTER_DTYPES:-bf16 fp8}; do
    for setting in off on; do
      MOEBENCH_GEMM_CLUSTER=$setting BENCH_TAG=cluster-$setting run_grid "cluster-$dtype" \
        "qwen3-30b-a3b mixtral-8x7b" "1024 4096 16384" --dtype "$dtype"
    done
  done
fi
# fused's tiled FP8 kernel gathering x's rows (MOEBENCH_FUSED_FP8_X=gather) against reading them by
# TMA from a copy in expert order (the default, =sorted), in one call: the files tagged x-gather
# and x-sorted (epmoe runs too, alike).
if named fp8-fused-x; then
  for setting in gather sorted; do
    MOEBENCH_FUSED_FP8_X=$setting BENCH_TAG=x-$setting run_grid fp8-fused-x "qwen3-30b-a3b mixtral-8x7b" \
      "1024 4096 16384" --dtype fp8
  done
fi
# The decode kernels' units finished by the consumers (the default) and by the finisher warps
# (MOEBENCH_DECODE_HANDOFF=on: detail/decode_handoff.cuh), then fused also prefetching each CTA's
# first down steps' weights into L2 (MOEBENCH_DECODE_PREFETCH), the decode grid each, in one call;
# fp8-decode-handoff the FP8 decode grid off and on. GRID_MODELS and GRID_TOKENS narrow them.
if named decode-handoff; then
  for setting in off on; do
    MOEBENCH_DECODE_HANDOFF=$setting BENCH_TAG=handoff-$setting run_grid decode \
      "qwen3-30b-a3b qwen1.5-moe-a2.7b mixtral-8x7b deepseek-v3 gpt-oss-120b" "1 2 4 8 16 32 64" --cold-l2
  done
  MOEBENCH_DECODE_HANDOFF=on MOEBENCH_DECODE_PREFETCH=${DECODE_PREFETCH:-6} BENCH_TAG=handoff-prefetch run_grid decode \
    "qwen3-30b-a3b qwen1.5-moe-a2.7b gpt-oss-120b deepseek-v3" "1 2 4 8 16" --cold-l2
fi
if named fp8-decode-handoff; then
  for setting in off on; do
    MOEBENCH_DECODE_HANDOFF=$setting BENCH_TAG=handoff-$setting run_grid fp8-decode \
      "qwen3-30b-a3b mixtral-8x7b deepseek-v3 gpt-oss-120b" "1 8 64" --dtype fp8 --cold-l2
  done
fi
# epmoe's routing, counts and sorted rows in one CTA (MOEBENCH_ROUTE_IN_CTA=on: one launch instead
# of route + count, scan and scatter) against the three kernels, on the decode GEMMs' cells (up
# to 8 tokens by default), bf16 then fp8, in one call. The models whose epmoe cells miss issue
# 20's bound by a few microseconds: what it saves is fixed, whatever the experts.
if named route-in-cta; then
  for setting in off on; do
    MOEBENCH_ROUTE_IN_CTA=$setting BENCH_TAG=route-in-cta-$setting run_grid decode \
      "qwen3-30b-a3b qwen1.5-moe-a2.7b gpt-oss-120b" "1 2 4 8" --cold-l2 --implementations epmoe
    MOEBENCH_ROUTE_IN_CTA=$setting BENCH_TAG=route-in-cta-$setting run_grid fp8-decode \
      "qwen3-30b-a3b gpt-oss-120b" "1 8" --dtype fp8 --cold-l2 --implementations epmoe
  done
fi
if named prefill; then
  run_grid prefill "qwen3-30b-a3b qwen1.5-moe-a2.7b mixtral-8x7b deepseek-v3" "1024 2048 4096 8192 16384"
fi

# Issue 25's oracle on real shapes (only when named; carry .carry/oracle-wheels, from
# `tools/oracle_wheels.sh download 3.12` less numpy's wheel): each preset at T = 1, 64 and 1024 saved
# on the GPU with --save-tensors, then recomputed by transformers' own MoE block of its family on
# the GPU. ORACLE_MODELS and ORACLE_TOKENS narrow it; ORACLE_ARGS adds flags (--dtype fp8).
declare -A oracle_presets=(
  [qwen1.5-moe-a2.7b]=Qwen/Qwen1.5-MoE-A2.7B
  [qwen3-30b-a3b]=Qwen/Qwen3-30B-A3B
  [mixtral-8x7b]=mistralai/Mixtral-8x7B-v0.1
  [gpt-oss-20b]=openai/gpt-oss-20b
  [deepseek-v2-lite]=deepseek-ai/DeepSeek-V2-Lite
  [deepseek-v3]=deepseek-ai/DeepSeek-V3
)
if named oracle; then
  python=/opt/torch/.venv/bin/python
  site=/tmp/moebench-oracle-site
  "$root/tools/oracle_wheels.sh" install "$python" "$root/.carry/oracle-wheels" "$site" 2>&1 | tail -2
  for name in ${ORACLE_MODELS:-qwen1.5-moe-a2.7b qwen3-30b-a3b mixtral-8x7b gpt-oss-20b deepseek-v2-lite deepseek-v3}; do
    saved="/tmp/moebench-oracle/$name${BENCH_TAG:+_$BENCH_TAG}"
    rm -rf "$saved"
    echo "== oracle $name"
    # shellcheck disable=SC2086
    timeout 300 "$bench" --device cuda --model-path "${oracle_presets[$name]}" --num-tokens ${ORACLE_TOKENS:-1 64 1024} \
      --scenarios random --warmup-iters 1 --benchmark-iters 3 --check ${ORACLE_ARGS:-} --save-tensors "$saved" \
      --save-tensors-max-bytes 34359738368 --output-format csv --output-file "$work/oracle_$name${BENCH_TAG:+_$BENCH_TAG}" \
      >"$work/oracle_$name${BENCH_TAG:+_$BENCH_TAG}.log" 2>&1
    echo "bench exit $?"
    PYTHONPATH=$site timeout 300 "$python" "$root/tools/check_with_transformers.py" "$saved" --device cuda 2>&1 |
      tee -a "$work/oracle_summary.txt"
    echo "oracle exit ${PIPESTATUS[0]}"
    rm -rf "$saved"  # DeepSeek-V3's weights are 22 GB
  done
fi

# Runs a profiling script (NAME ARGS...) on each of issue 4's three misses; its output also goes
# to $work/SUMMARY.
profile_misses() {
  local script=$1 summary=$2
  for miss in "${misses[@]}"; do
    read -r name tokens <<<"$miss"
    # shellcheck disable=SC2086
    OUT="$work" "$root/bench/$script" "${name}_t$tokens" ${models[$name]} --num-tokens "$tokens"
  done 2>&1 | tee "$work/$summary"
}

# Only when named (slow): Nsight Compute on the GEMM kernels, and warp-stall sampling per
# source line of fused.
if named ncu; then profile_misses profile_kernels.sh ncu_summary.txt; fi
if named stalls; then profile_misses profile_stalls.sh stalls_summary.txt; fi

if wants phases; then
  # fused's own phase stamps (--profile --verbose) for issue 4's three misses, random and balanced.
  for miss in "${misses[@]}"; do
    read -r name tokens <<<"$miss"
    tag=${BENCH_TAG:+_$BENCH_TAG}
    echo "== phases $name T=$tokens$tag"
    # shellcheck disable=SC2086
    timeout 200 "${BENCH_BINARY:-$bench}" --device cuda ${models[$name]} --num-tokens "$tokens" --scenarios random balanced \
      --implementations fused --warmup-iters 3 --benchmark-iters 10 --profile --profile-dir "$work/phases_$name$tag" \
      --verbose --output-format csv --output-file "$work/phases_$name$tag" >"$work/phases_$name$tag.log" 2>&1
    echo "exit $?"
    grep -E "stages of| ms  (route|sort|gate_up|down|combine)|fused +[0-9.]" "$work/phases_$name$tag.log" | head -20
  done
fi

if named timeline; then
  # Only when named: when each GEMM tile of fused ran on which CTA (MOEBENCH_TILE_TIMELINE), for
  # issue 4's three misses under random and balanced routing; eager launches, one trace each.
  for miss in "${misses[@]}"; do
    read -r name tokens <<<"$miss"
    for scenario in random balanced; do
      trace="$work/timeline_${name}_${scenario}${BENCH_TAG:+_$BENCH_TAG}"
      # shellcheck disable=SC2086
      MOEBENCH_TILE_TIMELINE="$trace" timeout 200 "${BENCH_BINARY:-$bench}" --device cuda ${models[$name]} \
        --num-tokens "$tokens" --scenarios "$scenario" --implementations fused --no-cuda-graph --warmup-iters 2 \
        --benchmark-iters 3 --output-format csv --output-file "$trace" >"$trace.log" 2>&1 || echo "exit $? ($trace.log)"
      python3 "$root/bench/tile_timeline.py" "${trace}_T$tokens.csv"
    done
  done 2>&1 | tee "$work/timeline_summary.txt"
fi

if wants multigpu; then
  echo "== multigpu tests ($(nvidia-smi -L | wc -l) GPUs)"
  timeout "${TEST_TIMEOUT:-600}" "$bundle/bin/multigpu_tests" ${MULTIGPU_FILTER:+--gtest_filter="$MULTIGPU_FILTER"} 2>&1 |
    tee "$work/multigpu_tests.log" | grep -E "^\[  (PASSED|FAILED|SKIPPED|     OK) |Failure|rel|FAILED TEST|error" | head -60
  echo "multigpu_tests exit ${PIPESTATUS[0]}"
fi

# Issue 25 part 3, only when named (2 GPUs): two "nodes" of one GPU each on this host, once with
# the flags and once with Slurm's variables in their place; node 0's CSVs must agree but for the
# timing columns (bench/same_rows.py).
if named launchers; then
  launch_args=(--device cuda --model-path Qwen/Qwen3-30B-A3B --tp-size 2 --ep-size 2 --num-tokens 64 1024
    --scenarios random imbalanced --warmup-iters 1 --benchmark-iters 5 --check --dist-timeout 120 --verbose
    --output-format csv)
  two_nodes() {  # NAME PORT: flags, or slurm
    local name=$1 port=$2 pids=() rank
    for rank in 1 0; do
      local vars=("CUDA_VISIBLE_DEVICES=$rank") flags=()
      if [ "$name" = flags ]; then
        flags=(--nnodes 2 --node-rank "$rank" --dist-init-addr "127.0.0.1:$port")
      else
        vars+=(SLURM_NNODES=2 "SLURM_NODEID=$rank" "SLURM_PROCID=$rank" SLURM_NTASKS=2 "SLURM_JOB_NODELIST=127.0.0.[1-2]"
          "MOEBENCH_DIST_PORT=$port")
      fi
      env "${vars[@]}" timeout 300 "$bench" "${launch_args[@]}" "${flags[@]}" \
        --output-file "$work/launchers_${name}_node$rank" >"$work/launchers_${name}_node$rank.log" 2>&1 &
      pids+=($!)
    done
    for rank in 1 0; do
      wait "${pids[$((1 - rank))]}"
      echo "launchers $name node $rank: exit $? $(grep -h 'launch: ' "$work/launchers_${name}_node$rank.log" | cut -c21-)"
    done
  }
  port=$((20000 + RANDOM % 10000))
  two_nodes flags "$port"
  two_nodes slurm "$((port + 1))"
  python3 "$root/bench/same_rows.py" "$work/launchers_flags_node0.csv" "$work/launchers_slurm_node0.csv" |
    tee -a "$out/summary.txt"
fi

if [ -n "${REPRO:-}" ] && wants repro; then
  # The fused EP x TP stop (bench/notes.md, known issue): short runs that each end within
  # --dist-timeout, one log each. REPRO names the variants to run.
  repro() {
    local name=$1; shift
    timeout 150 "$bench" --implementations fused --scenarios random \
      --warmup-iters 1 --dist-timeout 20 --verbose --output-format csv --output-file "$work/repro_$name" "$@" \
      >"$work/repro_$name.log" 2>&1
    echo "repro $name (exit $?): $(grep -vE '^\[|^ *$' "$work/repro_$name.log" | tail -3 | tr '\n' ' ')"
    grep -E "error|GPU rank|stuck" "$work/repro_$name.log" | tail -4
  }
  qwen="--model-path Qwen/Qwen3-Coder-30B-A3B-Instruct"
  for variant in $REPRO; do
    case $variant in
      tp4) repro tp4 $qwen --tp-size 4 --ep-size 1 --num-tokens 1024 2048 --benchmark-iters 10 ;;
      tp4-long) repro tp4-long $qwen --tp-size 4 --ep-size 1 --num-tokens 1024 --benchmark-iters 30 ;;
      tp4-reverse) repro tp4-reverse $qwen --tp-size 4 --ep-size 1 --num-tokens 2048 1024 --benchmark-iters 10 ;;
      tp4-eager) repro tp4-eager $qwen --tp-size 4 --ep-size 1 --num-tokens 1024 2048 --benchmark-iters 10 --no-cuda-graph ;;
      ep2tp2) repro ep2tp2 $qwen --tp-size 4 --ep-size 2 --num-tokens 1024 2048 --benchmark-iters 10 ;;
      tp2) repro tp2 $qwen --tp-size 2 --ep-size 1 --num-tokens 1024 2048 --benchmark-iters 10 ;;
      ep4) repro ep4 $qwen --tp-size 4 --ep-size 4 --num-tokens 1024 2048 --benchmark-iters 10 ;;
      # The per-GPU shape of tp4 at T=2048, on one GPU; and tp4 with twice the intermediate slice.
      one-gpu-i192) repro one-gpu-i192 --manual-config --num-experts 128 --num-experts-per-tok 8 --hidden-size 2048 \
        --intermediate-size 192 --num-tokens 2048 --benchmark-iters 50 ;;
      tp4-i384) repro tp4-i384 --tp-size 4 --ep-size 1 --manual-config --num-experts 128 --num-experts-per-tok 8 \
        --hidden-size 2048 --intermediate-size 1536 --num-tokens 2048 --benchmark-iters 10 ;;
    esac
  done
fi

if wants exchange; then
  # Dispatch and combine against NVLink: case 1's shapes under --profile. epmoe's all-to-alls are
  # NCCL kernels in the trace; fused times its own stages (dispatch, barriers, GEMMs, combine).
  for layout in "4 ep4_tp1" "1 ep1_tp4"; do
    set -- $layout
    echo "== exchange: --tp-size 4 --ep-size $1"
    timeout 300 "$bench" --model-path Qwen/Qwen3-Coder-30B-A3B-Instruct --tp-size 4 --ep-size "$1" \
      --num-tokens 4096 16384 --scenarios random --warmup-iters 1 --benchmark-iters 10 --profile \
      --profile-dir "$work/profiles_$2" --verbose --output-format csv --output-file "$work/exchange_$2" \
      >"$work/exchange_$2.log" 2>&1
    echo "exit $?"
    grep -vE "^\[moebench|^ *$|^#" "$work/exchange_$2.log" | grep -E "ms|random" | head -60
  done
fi

# Issue 22's EP part: both paths over every GPU of the machine (EP = all, then two GPUs an expert:
# fp8 under TP needs I a multiple of 128 x tp_actual, and Qwen3's 768 is one of 256), bf16 against
# fp8 in one call.
if named fp8-mesh; then
  gpus=$(nvidia-smi -L | wc -l)
  for ep in "$gpus" $((gpus / 2)); do
    for dtype in bf16 fp8; do
      file="$work/$(date +%F)_${gpus}x${gpu}_fp8-mesh_ep${ep}_tp${gpus}_$dtype"
      echo "== fp8-mesh --tp-size $gpus --ep-size $ep --dtype $dtype"
      # shellcheck disable=SC2086
      timeout 300 "$bench" --model-path Qwen/Qwen3-30B-A3B --tp-size "$gpus" --ep-size "$ep" --dtype "$dtype" \
        --num-tokens ${MESH_TOKENS:-64 1024 4096 16384} --scenarios random --warmup-iters 2 \
        --benchmark-iters 10 --check --verbose --output-format csv markdown json --output-file "$file" >"$file.log" 2>&1
      echo "exit $?"
      grep -E "fused|epmoe|warning|error" "$file.log" | grep -v "^\[" | head -16
    done
  done
fi

if wants case1; then
  # The seed's case 1 as written (program name swapped): Qwen3-Coder-30B-A3B-Instruct on 4 GPUs,
  # EP=4 against EP=1 (TP=4).
  for layout in "4 ep4_tp1" "1 ep1_tp4"; do
    set -- $layout
    echo "== case 1: --tp-size 4 --ep-size $1"
    timeout "${CASE1_TIMEOUT:-400}" "$bench" --model-path Qwen/Qwen3-Coder-30B-A3B-Instruct --tp-size 4 --ep-size "$1" \
      --num-tokens ${CASE1_TOKENS:-1024 2048 4096 8192 16384} --scenarios random balanced imbalanced \
      --warmup-iters 1 --benchmark-iters 10 --check --verbose \
      --output-file "$work/$(date +%F)_4x${gpu}_qwen3-coder_$2" 2>&1 | tee "$work/case1_$2.log" |
      grep -vE "^\[|^ *$" | tail -40
  done
fi

tar -C "$work" -czf "$out/results.tar.gz" .
