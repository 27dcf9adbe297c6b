"""The family's transformers block: built on the meta device, filled with the saved experts, routed
on the saved router logits (a forward pre-hook), and its top-k recorded (docs/oracle.md, "What it does")."""
import copy
import importlib

import safetensors
import torch

from .bad_input import BadInput
from .fp8 import fp8_weights
from .run_folder import FP8
from .weight_naming import check_gpt_oss_biases, join_weights, split_weights

EXPERT_PREFIXES = ("experts.", "input_linear.", "output_linear.")  # the experts' parameters in every block


def build_block(family, config):
    """The family's block, without memory: its parameters come from load_weights."""
    module = importlib.import_module(f"transformers.models.{family.module}.modeling_{family.module}")
    with torch.device("meta"):
        return getattr(module, family.block)(config)


def is_zeroed_by_design(name, family):
    """The router (replaced by route_on_saved_logits), the shared expert, biases (moebench has none)."""
    return name.startswith((family.router + ".",) + family.shared) or name.endswith("_bias")


def block_expert_names(block):
    """The block's expert weights, biases left out."""
    return [name for name in block.state_dict() if name.startswith(EXPERT_PREFIXES) and not name.endswith("_bias")]


def saved_experts(block, family, run, naming, num_experts, dtype, device):
    """The block's expert parameters, by name, from weights.safetensors (dequantized for an fp8 run)."""
    with safetensors.safe_open(run.weights_path, framework="pt", device="cpu") as saved:
        available = set(saved.keys())

        def stored(name):
            if name not in available:
                raise BadInput(f"weights.safetensors has no {name} (weight_naming {naming})")
            return saved.get_tensor(name)

        def tensor(name):
            value = stored(name)
            if value.dtype == torch.float8_e4m3fn:
                raise BadInput(f"weights.safetensors holds {name} as F8_E4M3, but _moebench.dtype is {run.dtype}")
            return value.to(device=device, dtype=dtype)

        if run.dtype == FP8:
            return join_weights(family.naming, *fp8_weights(naming, stored, num_experts, dtype, device))
        if naming != family.naming:
            return join_weights(family.naming, *split_weights(naming, tensor, num_experts))
        experts = {name: tensor(name) for name in block_expert_names(block)}  # the block's own names: no copies
        if naming == "gpt_oss":
            check_gpt_oss_biases(tensor)
        return experts


def block_state(block, family, experts, naming, dtype, device):
    """Every parameter of the block: the experts given, zeros for what is zeroed by design."""
    state = {}
    for name, meta in block.state_dict().items():
        value = experts.get(name)
        if value is None:
            if not is_zeroed_by_design(name, family):
                raise BadInput(f"weights.safetensors has nothing for the block's {name} (weight_naming {naming})")
            value = torch.zeros(meta.shape, dtype=dtype, device=device)
        elif tuple(value.shape) != tuple(meta.shape):
            raise BadInput(f"{name} has shape {tuple(value.shape)}; the {family.block} of config.json "
                           f"expects {tuple(meta.shape)}")
        state[name] = value
    return state


def load_weights(block, family, run, num_experts, dtype, device):
    """Fills every parameter: the saved experts (dequantized for an fp8 run), zeros for the rest
    (shared expert, router). Returns the names of the expert weights."""
    naming = run.description.get("weight_naming") or family.naming
    experts = saved_experts(block, family, run, naming, num_experts, dtype, device)
    block.load_state_dict(block_state(block, family, experts, naming, dtype, device), strict=True, assign=True)
    return [name for name in experts if not name.endswith("_bias")]


def make_identity_projection(router, num_experts, dtype, device):
    router.weight = torch.nn.Parameter(torch.eye(num_experts, dtype=dtype, device=device), requires_grad=False)
    if getattr(router, "bias", None) is not None:
        router.bias = torch.nn.Parameter(torch.zeros(num_experts, dtype=dtype, device=device), requires_grad=False)


def set_router_width(router, family, num_experts):
    """Where the router reads its input width, make it E."""
    owner_path, _, attribute = family.router_width.rpartition(".")
    owner = router
    if owner_path:  # e.g. the router reads config.hidden_size: give it a config of its own
        owner = copy.copy(getattr(router, owner_path))
        setattr(router, owner_path, owner)
    setattr(owner, attribute, num_experts)


def route_on_saved_logits(block, family, num_experts, dtype, device):
    """Gives the router an identity projection and the saved logits as its input; returns a
    function that sets the logits for the next forward."""
    router = block.get_submodule(family.router)
    make_identity_projection(router, num_experts, dtype, device)
    if family.router_width:
        set_router_width(router, family, num_experts)
    current = {}

    def swap_input(module, args):
        hidden = args[0]
        logits = current["logits"].to(device=hidden.device, dtype=hidden.dtype)
        return (logits.reshape(*hidden.shape[:-1], num_experts),) + tuple(args[1:])

    router.register_forward_pre_hook(swap_input)
    return lambda logits: current.__setitem__("logits", logits)


class TopkRecorder(torch.overrides.TorchFunctionMode):
    """Records the last top-k over all E experts (torch.topk or Tensor.topk) the block makes."""

    def __init__(self, num_experts, top_k):
        super().__init__()
        self.num_experts, self.top_k, self.ids = num_experts, top_k, None

    def __torch_function__(self, func, types, args=(), kwargs=None):
        result = func(*args, **(kwargs or {}))
        if func in (torch.topk, torch.Tensor.topk):
            k = kwargs.get("k") if kwargs and "k" in kwargs else args[1]
            if k == self.top_k and args[0].shape[-1] == self.num_experts:
                self.ids = result[1]
        return result
