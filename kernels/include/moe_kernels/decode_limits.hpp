// What the one-GPU decode kernel (sm90_fused_moe_decode.cu) handles and the device state it keeps
// between launches. Plain constants and sizes: host code checks a problem against them without a GPU.
#pragma once

#include <cstdint>
#include <type_traits>

#include "moe_kernels/moe_types.hpp"

namespace moe_kernels {

// An expert's tokens are the wgmma N (8 to 64) of its weight tiles, so at most 64 tokens a launch.
constexpr int kDecodeMaxTokens = 64;
// Every CTA routes every token into its own shared memory: the (token, slot) pairs and the experts
// it keeps there.
constexpr int kDecodeMaxPairs = 1024;
constexpr int kDecodeMaxExperts = 512;
// The stage ring: 256 weight rows x 64 K (32 KiB) and up to 64 token rows x 64 K (8 KiB) a stage.
// Five keep 160 KiB of weights in flight per SM, several times the ~25 KiB that one microsecond of
// HBM latency needs at an SM's share of 3.3 TB/s.
constexpr int kDecodeStages = 5;
constexpr int kDecodeStageBytesW = kBlockNB * kBlockK * 2;
constexpr int kDecodeStageBytesB = kDecodeMaxTokens * kBlockK * 2;
// Two consumer warpgroups, each multiplying two of a stage's four 64-row weight blocks (with one
// warpgroup holding all four, 64 tokens took 128 accumulator registers a thread and ptxas
// serialised the wgmmas), and a producer warpgroup of which one warp loads and, with the hand-off
// below, three finish. The register split (setmaxnreg): each SM sub-partition holds one warp of
// each warpgroup, 16384 registers (with a lone producer warp, 9 warps, the cap was 168 a thread,
// which spilled the consumers).
constexpr int kDecodeConsumers = 2;
constexpr int kDecodeConsumerThreads = kDecodeConsumers * kProducerThreads;
constexpr int kDecodeThreads = kDecodeConsumerThreads + kProducerThreads;
constexpr int kDecodeWarps = kDecodeThreads / 32;
// epmoe's decode path may route, count and sort its tokens in one CTA of kDecodeThreads, with the
// fused decode kernels' routing (launch_route_and_sort_in_cta): up to a token a warp, the same
// time as one token.
constexpr int kRouteInCtaMaxTokens = kDecodeWarps;

// Registers a thread after setmaxnreg.
struct DecodeRegisterSplit {
  int producer;  // the producer warpgroup's threads
  int consumer;  // the consumer warpgroups' threads
};

// Who finishes a decode kernel's units (the fence, the counter, and what a completed counter hands
// the CTA): the consumer warpgroups after each unit (kInline), or the producer warpgroup's three
// idle warps while the consumers go on to the next unit (kHandoff: detail/decode_handoff.cuh).
enum class DecodeFinish { kInline, kHandoff };

// f(std::integral_constant<DecodeFinish, finish>{}): a launcher's pick of the kernel instantiated
// for the launch's `finish`.
template <typename F>
auto with_decode_finish(DecodeFinish finish, F f) {
  if (finish == DecodeFinish::kHandoff) return f(std::integral_constant<DecodeFinish, DecodeFinish::kHandoff>{});
  return f(std::integral_constant<DecodeFinish, DecodeFinish::kInline>{});
}

// The bf16 decode kernels' split: 56 + 2 x 224 = 504 of a sub-partition's 512 a lane (ptxas: the
// producer warp's 16 bytes of spills within its 56, tenth session). With the hand-off the
// finishers keep four 16-byte loads of gate and up sums in flight a thread, which spilled 1120
// bytes at 56 registers, 108 at 88 and none at 104; the consumers need no more than 200 (64
// tokens: 64 accumulator registers), so 104 + 2 x 200.
MOE_HOST_DEVICE constexpr DecodeRegisterSplit decode_register_split(DecodeFinish finish) {
  return finish == DecodeFinish::kHandoff ? DecodeRegisterSplit{104, 200} : DecodeRegisterSplit{56, 224};
}

// Before the pipeline starts, the routing scratch lives in the stage ring: every token's logits,
// each warp's scores, each (token, slot) pair's expert and weight, each expert's first row.
MOE_HOST_DEVICE constexpr std::int64_t decode_routing_scratch_bytes(int num_tokens, int top_k, int num_experts,
                                                                    int num_groups) {
  return 4ll * num_tokens * num_experts + 4ll * kDecodeWarps * (num_experts + num_groups) + 8ll * num_tokens * top_k +
         4ll * num_experts;
}
constexpr std::int64_t kDecodeRingBytes =
    static_cast<std::int64_t>(kDecodeStages) * (kDecodeStageBytesW + kDecodeStageBytesB);

// The counters the decode kernel keeps in global memory, in ints: the launch count and the CTAs
// out (2), each expert's ready stamp and finished gate/up tiles (2 per expert), each gate/up
// tile's K steps done (experts x gate/up tiles) and each down output block's K steps done. All
// but the launch count and the ready stamps return to zero by the end of every launch.
struct DecodeCounters {
  int local_experts;
  int gate_up_tiles;  // per expert, along I
  int down_blocks;    // along H
  MOE_HOST_DEVICE constexpr std::int64_t calls() const { return 0; }
  MOE_HOST_DEVICE constexpr std::int64_t ctas_out() const { return 1; }
  MOE_HOST_DEVICE constexpr std::int64_t expert_ready(int e) const { return 2 + e; }
  MOE_HOST_DEVICE constexpr std::int64_t expert_tiles_done(int e) const { return 2ll + local_experts + e; }
  MOE_HOST_DEVICE constexpr std::int64_t gate_up_tile_steps(int e, int tile) const {
    return 2ll + 2ll * local_experts + static_cast<std::int64_t>(e) * gate_up_tiles + tile;
  }
  MOE_HOST_DEVICE constexpr std::int64_t down_block_steps(int block) const {
    return 2ll + 2ll * local_experts + static_cast<std::int64_t>(local_experts) * gate_up_tiles + block;
  }
  MOE_HOST_DEVICE constexpr std::int64_t size() const { return down_block_steps(down_blocks); }
};

// The FP8 decode kernel's counters: the bf16 kernel's, then the x groups quantized in this launch
// (back to zero by its end) and the stamp that marks x quantized.
struct Fp8DecodeCounters : DecodeCounters {
  MOE_HOST_DEVICE constexpr std::int64_t x_groups_done() const { return DecodeCounters::size(); }
  MOE_HOST_DEVICE constexpr std::int64_t x_ready() const { return DecodeCounters::size() + 1; }
  MOE_HOST_DEVICE constexpr std::int64_t size() const { return DecodeCounters::size() + 2; }
};

}  // namespace moe_kernels
