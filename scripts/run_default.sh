#!/usr/bin/env bash
# `make run`: the seed's quick-start command 1 on the CPU; a real model on a GPU.
set -euo pipefail
build_dir=${1:-build}
bin="$build_dir/bench_fused_vs_epmoe"
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1 && "$bin" --device cuda --help >/dev/null 2>&1; then
  exec "$bin" --device auto --model-path Qwen/Qwen3-30B-A3B --num-tokens 64 1024 4096 --scenarios random --check
fi
exec "$bin" --num-experts 8 --num-experts-per-tok 2 --hidden-size 1024 --intermediate-size 4096 \
  --num-tokens 512 --scenarios random --check
