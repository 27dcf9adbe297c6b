#!/usr/bin/env python3
"""A torch._grouped_mm MoE layer (PyTorch's grouped GEMM, CUTLASS-based on sm_90) timed on the
same shapes and the same roofline as moebench, for context: `python3 bench/torch_grouped_mm.py
E K H I T...` prints one line per T. Softmax top-k routing with renormalisation, silu, bf16.
Timed with CUDA events around eager calls (the sort and bincount steps do not capture into a
graph), median of 20 after 5 warm-ups. Peaks as measured by moebench on the same card are passed
through MOE_PEAK_GBPS and MOE_PEAK_TFLOPS."""
import os
import sys

import torch
import torch.nn.functional as F


def layer(x, logits, w13_t, w2_t, k):
    E = logits.shape[1]
    weights, ids = logits.float().softmax(-1).topk(k, dim=-1)
    weights = weights / weights.sum(-1, keepdim=True)
    flat = ids.flatten()
    order = flat.argsort(stable=True)
    tokens = order // k
    counts = torch.bincount(flat, minlength=E)
    offsets = counts.cumsum(0).to(torch.int32)
    h13 = torch._grouped_mm(x[tokens], w13_t, offs=offsets)
    gate, up = h13.chunk(2, dim=-1)
    y = torch._grouped_mm(F.silu(gate) * up, w2_t, offs=offsets)
    out = torch.zeros(x.shape[0], x.shape[1], dtype=torch.float32, device=x.device)
    out.index_add_(0, tokens, y.float() * weights.flatten()[order, None])
    return out.to(torch.bfloat16), int((counts > 0).sum())


def main():
    E, k, H, I = (int(v) for v in sys.argv[1:5])
    peak_bw = float(os.environ.get("MOE_PEAK_GBPS", "3000")) * 1e9
    peak_flops = float(os.environ.get("MOE_PEAK_TFLOPS", "790")) * 1e12
    dev = torch.device("cuda")
    g = torch.Generator(device=dev).manual_seed(42)
    w13 = (torch.randn(E, 2 * I, H, device=dev, generator=g) * 0.02).bfloat16()  # K-major, like moebench's
    w2 = (torch.randn(E, H, I, device=dev, generator=g) * 0.02).bfloat16()
    w13_t, w2_t = w13.transpose(1, 2), w2.transpose(1, 2)  # (E, K, N) views, column-major
    print(f"torch {torch.__version__} {torch.cuda.get_device_name()}  E={E} k={k} H={H} I={I}")
    for T in (int(v) for v in sys.argv[5:]):
        x = (torch.randn(T, H, device=dev, generator=g) * 0.02).bfloat16()
        logits = torch.randn(T, E, device=dev, generator=g)
        for _ in range(5):
            _, active = layer(x, logits, w13_t, w2_t, k)
        times = []
        for _ in range(20):
            start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            layer(x, logits, w13_t, w2_t, k)
            stop.record()
            stop.synchronize()
            times.append(start.elapsed_time(stop))
        ms = sorted(times)[len(times) // 2]
        flops = 2.0 * T * k * 3 * H * I
        bytes_ = active * 3 * H * I * 2 + T * H * 2 + T * E * 4 + T * H * 2
        roof = max(flops / peak_flops, bytes_ / peak_bw) * 1e3
        print(f"torch_grouped_mm T={T:6d} {ms:9.4f} ms  {100 * roof / ms:5.1f}% of roofline")


if __name__ == "__main__":
    main()
