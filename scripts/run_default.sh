#!/usr/bin/env bash
# `make run`: on a GPU machine (and a build with the CUDA backend), Qwen3-30B-A3B on the GPU;
# elsewhere, the seed's quick-start command 1 on the CPU.
set -euo pipefail
build_dir=${1:-build}
bin="$build_dir/bench_fused_vs_epmoe"
if grep -q "^MOEBENCH_HAVE_CUDA:INTERNAL=ON" "$build_dir/CMakeCache.txt" 2>/dev/null && nvidia-smi -L >/dev/null 2>&1; then
  exec "$bin" --model-path Qwen/Qwen3-30B-A3B --num-tokens 64 1024 4096 --scenarios random --check
fi
exec "$bin" --num-experts 8 --num-experts-per-tok 2 --hidden-size 1024 --intermediate-size 4096 \
  --num-tokens 512 --scenarios random --check
