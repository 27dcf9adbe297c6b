#!/usr/bin/env bash
# The seed's Grok2 case 2 launcher for this program: 32 GPUs on 8 nodes of 4, EP=8 x TP=4 (the
# TP ranks of an expert group share a node). Run on every node with its rank:
#   MASTER_IP=10.0.0.1 bash scripts/run_grok2_bench.sh 0      # on node 0
#   MASTER_IP=10.0.0.1 bash scripts/run_grok2_bench.sh 1      # on node 1, ... up to 7
# EP_SIZE=1 runs the seed's test 2 (EP=1, TP=32). GROK2_PATH: a folder with Grok2's config.json
# (default: the built-in preset xai-org/grok-2). fused needs all 32 GPUs in one NVLink domain
# (docs/scaling.md); elsewhere set IMPLEMENTATIONS=epmoe.
set -euo pipefail
NODE_RANK=${1:?usage: run_grok2_bench.sh NODE_RANK}
MASTER_IP=${MASTER_IP:?set MASTER_IP to the address of node 0}
EP_SIZE=${EP_SIZE:-8}
root=$(cd "$(dirname "$0")/.." && pwd)
export NCCL_NVLS_ENABLE=0  # never NVLink multicast
mkdir -p ./results
exec "$root/build/bench_fused_vs_epmoe" \
  --model-path "${GROK2_PATH:-xai-org/grok-2}" \
  --tp-size 32 \
  --ep-size "$EP_SIZE" \
  --dist-init-addr "${MASTER_IP}:12345" \
  --nnodes 8 \
  --node-rank "$NODE_RANK" \
  --num-tokens 1024 2048 4096 8192 16384 \
  --scenarios random balanced imbalanced \
  --warmup-iters 1 \
  --benchmark-iters 10 \
  --implementations ${IMPLEMENTATIONS:-fused epmoe} \
  --output-file "./results/grok2_ep${EP_SIZE}_tp$((32 / EP_SIZE))"
