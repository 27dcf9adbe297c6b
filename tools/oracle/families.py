"""The transformers (4.57.6) MoE block of each model family, and the config it is built from."""
import dataclasses

import transformers

from .bad_input import BadInput


# A family's block, and what the oracle changes in it:
#   router: the module that projects hidden states to router logits; it gets an identity
#     projection and the saved logits as its input, so the block routes on exactly those logits;
#   router_width: the attribute holding that projection's input width, where the router reads one;
#   shared: prefixes of the shared expert's parameters, zeroed;
#   compute_dtype: where the block works in one dtype only (DeepSeek-V3 accumulates the experts'
#     outputs in its router's float32).
@dataclasses.dataclass(frozen=True)
class Family:
    module: str
    block: str
    naming: str
    router: str
    router_width: str = ""
    shared: tuple = ()
    compute_dtype: str = ""


FAMILIES = {
    "qwen2_moe": Family("qwen2_moe", "Qwen2MoeSparseMoeBlock", "per_expert_proj", "gate",
                        shared=("shared_expert.", "shared_expert_gate.")),
    "qwen3_moe": Family("qwen3_moe", "Qwen3MoeSparseMoeBlock", "per_expert_proj", "gate"),
    "mixtral": Family("mixtral", "MixtralSparseMoeBlock", "mixtral", "gate"),
    "olmoe": Family("olmoe", "OlmoeSparseMoeBlock", "per_expert_proj", "gate"),
    "deepseek_v2": Family("deepseek_v2", "DeepseekV2MoE", "per_expert_proj", "gate", shared=("shared_experts.",)),
    "deepseek_v3": Family("deepseek_v3", "DeepseekV3MoE", "per_expert_proj", "gate", "config.hidden_size",
                          shared=("shared_experts.",), compute_dtype="float32"),
    "gpt_oss": Family("gpt_oss", "GptOssMLP", "gpt_oss", "router", "hidden_dim"),
    "granitemoe": Family("granitemoe", "GraniteMoeMoE", "granitemoe", "router.layer"),
    "llama4_text": Family("llama4", "Llama4TextMoe", "llama4", "router", shared=("shared_expert.",)),
}
MODEL_TYPE_ALIASES = {"llama4": "llama4_text"}  # the multimodal config; its text_config holds the MoE
MANUAL_ACTIVATIONS = {"silu": "silu", "gelu": "gelu_pytorch_tanh", "gelu_tanh": "gelu_pytorch_tanh"}


def model_section(config):
    """The part of config.json that holds the MoE (text_config for multimodal configs)."""
    text = config.get("text_config")
    if isinstance(text, dict) and any(k in text for k in ("num_local_experts", "num_experts", "n_routed_experts")):
        return text
    return config


def manual_config(description):
    """A transformers config for manual shapes: the Qwen3-MoE block routes as the spec's default
    (softmax, top-k, renormalize), gpt-oss's block for swigluoai."""
    common = {"hidden_size": description["hidden_size"], "num_experts_per_tok": description["top_k"]}
    if description["activation"] == "swigluoai":
        return "gpt_oss", dict(common, num_local_experts=description["num_experts"],
                               intermediate_size=description["intermediate_size"])
    if description["activation"] not in MANUAL_ACTIVATIONS:
        raise BadInput(f"no transformers block for manual activation {description['activation']!r}")
    return "qwen3_moe", dict(common, num_experts=description["num_experts"],
                             moe_intermediate_size=description["intermediate_size"],
                             norm_topk_prob=description["router"].get("renormalize", True),
                             hidden_act=MANUAL_ACTIVATIONS[description["activation"]])


def model_type_and_fields(run):
    """(model type, transformers config fields) for the run, before the aliases."""
    section = model_section(run.config)
    model_type = section.get("model_type") or run.config.get("model_type") or run.description.get("family", "")
    if model_type == "moebench_manual":
        return manual_config(run.description)
    return model_type, {k: v for k, v in section.items() if not k.startswith("_") and k != "model_type"}


def family_and_config(run):
    """(model type, Family, transformers config) for the run."""
    model_type, fields = model_type_and_fields(run)
    model_type = MODEL_TYPE_ALIASES.get(model_type, model_type)
    if model_type not in FAMILIES:
        raise BadInput(f"no transformers MoE block for model_type {model_type!r} (the oracle knows: "
                       f"{', '.join(sorted(FAMILIES))})")
    try:
        config = transformers.AutoConfig.for_model(model_type, **fields)
    except Exception as error:  # transformers' own validation of the config's values
        raise BadInput(f"transformers rejects config.json as {model_type}: {error}") from None
    return model_type, FAMILIES[model_type], config
