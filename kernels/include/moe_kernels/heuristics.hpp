// Host-side choices of kernel configuration from the problem, unit-tested without a GPU.
#pragma once

#include <cstdint>

#include "moe_kernels/decode_limits.hpp"
#include "moe_kernels/moe_types.hpp"

namespace moe_kernels {

// Token rows per tile: 128 (two consumer warpgroups sharing each weight tile) once an expert's
// rows fill most of a 64-row tile, so that an expert with 65-128 rows reads its weights once in
// one tile instead of twice across two; else 64 (less padding to multiply).
inline int choose_block_m(std::int64_t num_tokens, int top_k, int local_experts) {
  const std::int64_t rows_per_expert = num_tokens * top_k / (local_experts > 0 ? local_experts : 1);
  return rows_per_expert >= 48 ? 2 * kWarpgroupRows : kWarpgroupRows;
}

// Whether the down GEMM's tiles are long (Mixtral-8x7B: 224 K steps; Qwen: 12-22): the CTAs that
// share a weight tile must then stream it in step for HBM to read it once.
inline bool long_down_tiles(int intermediate) { return ceil_div(intermediate, kBlockK) > 64; }

// Whether the fused kernel starts its down tiles as their rows' gate/up tiles finish
// (RoutingBuffers::row_block_done) instead of after a grid barrier. The barrier also starts every
// CTA's first down tile at once, so the CTAs sharing a weight tile stream it in step and HBM reads
// it once; without it they start up to a gate/up tile apart and stay so. With long down tiles
// shared by many CTAs (Mixtral-8x7B at T=16384: a 7 MB weight tile, 32 row blocks) the followers
// then miss in L2, 2-4% slower; with short ones (Qwen) the overlap wins 2-4%, and so it does with
// long tiles shared by at most three row blocks (Mixtral at T <= 1024: -1 to -2% on H100,
// bench/notes.md, eighth session). rows_per_expert: the average.
inline bool overlap_gate_up_and_down(int intermediate, std::int64_t rows_per_expert) {
  return !long_down_tiles(intermediate) || rows_per_expert < 3 * 2 * kWarpgroupRows;
}

// What the one-GPU fused kernel does with an expert's rows past its last multiple of 128
// (MoeGeometry::spill). With 128-row tiles its full tiles carry them as tails of up to
// kMaxTailRows (none with 64-row tiles: one consumer warpgroup has no second weight block to
// pair), instead of a row block of their own that pulls the whole weight tile through L2 and
// shared memory again for a few rows. A tail costs its tile 15-30% (the weights go through the
// tensor cores twice); with short tiles the last full tile alone carries it.
// With long tiles (Mixtral-8x7B: 224 K steps) the two tiles sharing a weight tile must take the
// same time to read it from L2 in step: with the tail on one of them, the other ran ahead and the
// down GEMM of Mixtral T=1024 read its weights twice from HBM (bench/notes.md, seventh session);
// so the last two share it. Past ~3 full tiles an expert (rows_per_expert, the average) the spill's
// own row block is a small share of the expert's and the tails cost more than they save (3-5%
// slower at T=16384 on H100); below one, few experts have a full tile to carry anything, and the
// engine with tails (larger stages, a different register split) cost Qwen at T=1024 5-6%.
inline SpillRule choose_spill_rule(int block_m, int intermediate, std::int64_t rows_per_expert) {
  if (block_m != 2 * kWarpgroupRows || rows_per_expert < block_m || rows_per_expert >= 3 * block_m) return {};
  return {kMaxTailRows, long_down_tiles(intermediate) ? 2 : 1};
}

// Whether the fused kernel's GEMM phases hand out the tiles of the experts with the most rows
// first (RoutingBuffers::expert_order). Where two long tiles share an expert's spill, that
// expert's tiles are the phase's longest (~20-30% over a plain one): first, they leave the last
// round to the shortest (Mixtral-8x7B T=1024 on H100, -2%). Elsewhere it measured slower
// (Qwen3-30B-A3B and Mixtral at T=2048, +4%; bench/notes.md, seventh session).
inline bool order_tiles_longest_first(const SpillRule& spill) { return spill.tail_rows > 0 && spill.carriers > 1; }

// Whether the one-GPU fused layer runs as the decode kernel (sm90_fused_moe_decode.cu) rather
// than the tiled one. Up to 64 tokens the layer's time is the time to stream the selected experts'
// weights once; the tiled kernel multiplies 64-row tiles of mostly padding and leaves SMs idle
// where the experts' tiles are fewer than the SMs, while the decode kernel puts the weights on the
// wgmma M side and splits every expert's K steps evenly over all SMs. Its limits
// (decode_limits.hpp) are those of routing every token inside each CTA's shared memory.
inline bool use_decode_kernel(const MoeGeometry& g, const RouterParams& router) {
  const std::int64_t scratch =
      decode_routing_scratch_bytes(g.num_tokens, g.top_k, router.num_experts, router.num_groups);
  return g.num_tokens >= 1 && g.num_tokens <= kDecodeMaxTokens && g.max_pairs() <= kDecodeMaxPairs &&
         router.num_experts <= kDecodeMaxExperts && g.local_experts <= kDecodeMaxExperts && scratch <= kDecodeRingBytes;
}

// Whether epmoe's routing, counting and sorting fit one launch of launch_route_and_sort_in_cta:
// a geometry the decode kernels take, with up to a token a warp of the CTA.
inline bool route_in_cta_fits(const MoeGeometry& g, const RouterParams& router) {
  return use_decode_kernel(g, router) && g.num_tokens <= kRouteInCtaMaxTokens;
}

// Up to how many tokens each path runs its decode kernels when MOEBENCH_DECODE leaves the choice
// to the program, in bf16 and in FP8 alike. Measured on an H100 80GB HBM3 against the tiled
// kernels in one call each (cold L2; bench/notes.md):
// - bf16 (five model shapes, eleventh session): the decode kernels are faster at T <= 4 on every
//   shape and both paths but one tie (epmoe, DeepSeek-V3 T=4): fused Qwen3-30B-A3B T=1 0.056
//   against 0.072 ms, Mixtral-8x7B 0.260 against 0.296. At T = 8 and 16 the two are within 3%
//   either way (the decode kernels ahead on the small Qwen experts, behind on DeepSeek-V3's large
//   ones, epmoe's more often behind); from T = 32 the tiled kernels win (by up to 11% at T = 64),
//   their tiles no longer mostly padding.
// - FP8 (four shapes, fourteenth session): the same crossover. fused's decode kernel is faster to
//   T = 8 everywhere (Qwen3-30B-A3B T=1 0.044 against 0.068 ms) and at T = 16 on Qwen3 (0.170
//   against 0.188; Mixtral level); at T = 64 the tiled kernel wins on every shape (by 5-12%).
//   epmoe's is level or behind from T = 16 (Mixtral T=16 0.517 against 0.502).
constexpr int kFusedDecodeMaxTokens = 16;
constexpr int kGroupedDecodeMaxTokens = 8;

// Whether the decode kernels are the faster choice for this case (`fused`: the fused layer;
// otherwise epmoe's grouped GEMMs). Only for geometries use_decode_kernel accepts.
inline bool decode_kernel_is_faster(const MoeGeometry& g, bool fused) {
  return g.num_tokens <= (fused ? kFusedDecodeMaxTokens : kGroupedDecodeMaxTokens);
}

}  // namespace moe_kernels
