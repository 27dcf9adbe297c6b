"""fp8-b128 runs (docs/fp8.md): the e4m3 weights dequantized, and the layer's activation quantization emulated.

transformers' FP8 path (FP8Linear, its triton kernels) needs a GPU, and its blocks would replace
the experts we mean to check with its own: instead the oracle dequantizes the weights into the
family's own block and emulates the activations' quantization where the layer does it, and
transformers' code still does everything else.
"""
import torch

from .bad_input import BadInput
from .run_folder import FP8
from .weight_naming import split_scales, split_weights

E4M3_MAX = 448.0  # torch.finfo(torch.float8_e4m3fn).max
BLOCK = 128  # the side of a weight block, the width of an activation group


def blocks(n):
    return -(-n // BLOCK)


def dequantize(values, scales, what):
    """values [E, out, in] times the scale of each 128 x 128 block (the last ones cut short)."""
    experts, rows, cols = values.shape
    if tuple(scales.shape) != (experts, blocks(rows), blocks(cols)):
        raise BadInput(f"the {what} scales have shape {tuple(scales.shape)}; {experts} experts' [{rows}, {cols}] "
                       f"matrices in 128 x 128 blocks need {(experts, blocks(rows), blocks(cols))}")
    full = scales.repeat_interleave(BLOCK, dim=1)[:, :rows].repeat_interleave(BLOCK, dim=2)[:, :, :cols]
    return values * full


def fp8_weights(naming, saved, num_experts, dtype, device):
    """(gate, up, down) dequantized, [E, I, H], [E, I, H], [E, H, I]: exact products in float64,
    then `dtype` (float32 rounds each once, as moebench's CPU backend does)."""
    def read(name, kinds, what):
        tensor = saved(name)
        if tensor.dtype not in kinds:
            raise BadInput(f"weights.safetensors holds {name} as {tensor.dtype}; an {FP8} run saves {what}")
        return tensor.to(device=device, dtype=torch.float64)

    def value(name):  # gpt-oss's biases stay bf16 (and must be zero)
        if name.endswith("_bias"):
            return read(name, (torch.bfloat16, torch.float32), "the biases as bf16")
        return read(name, (torch.float8_e4m3fn,), "the weights as F8_E4M3")

    values = split_weights(naming, value, num_experts)
    scales = split_scales(naming, lambda name: read(name, (torch.float32,), "the scales as F32"), num_experts)
    return tuple(dequantize(v, s, what).to(dtype) for v, s, what in zip(values, scales, ("gate", "up", "down")))


def quantize_activation(a):
    """`a` as the layer's GEMMs read it: each row quantized per 128 channels of the last axis, in
    float32 as the layer does (scale = group amax / 448, 1 for an all-zero group, at least the
    smallest normal float; e4m3 rounding to nearest even), each code times its scale, in a's dtype."""
    width = a.shape[-1]
    padded = torch.nn.functional.pad(a.to(torch.float32), (0, -width % BLOCK))  # zeros: amax unchanged
    groups = padded.reshape(*padded.shape[:-1], padded.shape[-1] // BLOCK, BLOCK)
    amax = groups.abs().amax(dim=-1, keepdim=True)
    scale = torch.where(amax == 0, torch.ones_like(amax),
                        (amax / E4M3_MAX).clamp(min=torch.finfo(torch.float32).tiny))
    # The layer saturates (v / s can exceed 448 by a rounding). torch 2.15's cast does too, but
    # c10's conversion of earlier releases gave NaN above 464, as ml_dtypes' does: clamp first.
    codes = (groups / scale).clamp(-E4M3_MAX, E4M3_MAX).to(torch.float8_e4m3fn)
    values = codes.to(torch.float64) * scale.to(torch.float64)
    return values.reshape(padded.shape)[..., :width].to(a.dtype)


class ActivationQuantizer(torch.overrides.TorchFunctionMode):
    """Quantizes the activation operand of every matrix product whose weight operand is an expert
    weight (x before gate and up, h before down), whatever the block calls: nn.Linear's F.linear
    (Qwen, DeepSeek, Mixtral, OLMoE), GraniteMoe's F.linear on a slice, gpt-oss's `@` on a slice,
    Llama-4's bmm. The activation is the first operand of each, the weight the second; a weight is
    recognized by its storage, which slices and views share."""

    PRODUCTS = (torch.nn.functional.linear, torch.matmul, torch.Tensor.matmul, torch.Tensor.__matmul__,
                torch.bmm, torch.Tensor.bmm)

    def __init__(self, weights):
        super().__init__()
        self.storages = {w.untyped_storage().data_ptr() for w in weights}
        self.products = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if (func in self.PRODUCTS and len(args) >= 2 and isinstance(args[1], torch.Tensor)
                and args[1].untyped_storage().data_ptr() in self.storages):
            args = (quantize_activation(args[0]),) + tuple(args[1:])
            self.products += 1
        return func(*args, **(kwargs or {}))
