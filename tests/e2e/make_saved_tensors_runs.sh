#!/usr/bin/env bash
# The --save-tensors runs check_saved_tensors.py reads (ctest fixture saved_tensors_runs): tiny CPU
# runs of a manual config on a simulated EP x TP mesh, and of one tiny config per family whose
# routing or weight names differ (DeepSeek-V3's grouped sigmoid router, gpt-oss, Llama 4, Granite,
# Mixtral, Grok), each run in its own folder under OUT. Each naming scheme runs once with swigluoai:
# at these weights' scale silu(g) * u is nearly symmetric in g and u, (u + 1) * g * sigmoid(1.702 g)
# is not, so gate and up mixed up would show.
set -euo pipefail
bin=$1
out=$2
rm -rf "$out"
mkdir -p "$out/configs"
quick=(--device cpu --warmup-iters 0 --benchmark-iters 1 --output-format csv)

"$bin" --num-experts 8 --num-experts-per-tok 2 --hidden-size 64 --intermediate-size 96 --activation swigluoai \
  --num-tokens 5 33 --scenarios random balanced imbalanced --imbalance-factor 2 --tp-size 4 --ep-size 2 --check \
  "${quick[@]}" --output-file "$out/manual" --save-tensors "$out/manual" > "$out/manual.log"

sizes='"num_experts_per_tok": 2, "hidden_size": 32, "intermediate_size": 16'
family() {  # NAME CONFIG-KEYS
  echo "{$2, $sizes}" > "$out/configs/$1.json"
  "$bin" --model-path "$out/configs/$1.json" --num-tokens 9 40 --scenarios random imbalanced --imbalance-factor 1.5 \
    "${quick[@]}" --output-file "$out/$1" --save-tensors "$out/$1" > "$out/$1.log"
}
family deepseek_v3 '"model_type": "deepseek_v3", "n_routed_experts": 16, "n_group": 4, "topk_group": 2'
family gpt_oss '"model_type": "gpt_oss", "num_local_experts": 8'
family llama4 '"model_type": "llama4_text", "num_local_experts": 8, "hidden_act": "swigluoai"'
family granitemoe '"model_type": "granitemoe", "num_local_experts": 8, "hidden_act": "swigluoai"'
family mixtral '"model_type": "mixtral", "num_local_experts": 8, "hidden_act": "swigluoai"'
family grok '"model_type": "git", "architectures": ["Grok1ForCausalLM"], "num_local_experts": 8'
