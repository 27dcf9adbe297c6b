// Host-side arithmetic of the CUDA kernels: strides, tile counts, row blocks and tails, the
// tile-height heuristic.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "moe_kernels/decode_limits.hpp"
#include "moe_kernels/decode_split.hpp"
#include "moe_kernels/heuristics.hpp"
#include "moe_kernels/moe_types.hpp"

namespace moe_kernels {
namespace {

TEST(KernelGeometry, StridesAndTiles) {
  MoeGeometry g;
  g.hidden = 2050;
  g.intermediate = 770;
  g.num_tokens = 10;
  g.top_k = 3;
  EXPECT_EQ(g.hidden_stride(), 2056);
  EXPECT_EQ(g.intermediate_stride(), 776);
  EXPECT_EQ(g.gate_up_tiles(), 7);  // ceil(770 / 128)
  EXPECT_EQ(g.down_tiles(), 9);     // ceil(2050 / 256)
  EXPECT_EQ(g.max_pairs(), 30);
}

// A packed FP8 row (what the FP8 dispatch sends and the fused gather reads): its codes padded to
// 16 bytes, then one f32 scale per 128 channels padded to 16 bytes; exactly docs/fp8.md's H + 4
// ceil(H / 128) bytes where H is a multiple of 512.
TEST(KernelGeometry, PackedFp8RowsAreCodesThenScales) {
  const std::tuple<int, int, int> rows[] = {{2048, 2048, 2112}, {7168, 7168, 7392}, {2880, 2880, 2976},
                                            {100, 112, 128},    {8, 16, 32},        {4096, 4096, 4224}};
  for (const auto& [hidden, codes, row] : rows) {
    const moe_kernels::Fp8PackedRows packed = moe_kernels::Fp8PackedRows::of_width(nullptr, hidden);
    EXPECT_EQ(packed.codes_bytes, codes) << hidden;
    EXPECT_EQ(packed.row_bytes, row) << hidden;
    EXPECT_EQ(packed.row_bytes % 16, 0) << hidden;
    EXPECT_GE(packed.row_bytes - packed.codes_bytes, 4 * moe_kernels::fp8_groups(hidden)) << hidden;
  }
}

TEST(KernelGeometry, TileHeightFollowsTokensPerExpert) {
  EXPECT_EQ(choose_block_m(64, 8, 128), 64);     // 4 rows per expert
  EXPECT_EQ(choose_block_m(512, 8, 128), 64);    // 32 rows per expert
  EXPECT_EQ(choose_block_m(1024, 8, 128), 128);  // 64 rows per expert
  EXPECT_EQ(choose_block_m(2048, 8, 128), 128);  // 128 rows per expert
  EXPECT_EQ(choose_block_m(64, 2, 8), 64);       // Mixtral, 16 rows per expert
  EXPECT_EQ(choose_block_m(256, 2, 8), 128);     // Mixtral, 64 rows per expert
  EXPECT_EQ(choose_block_m(1024, 2, 8), 128);
  EXPECT_EQ(choose_block_m(1, 1, 0), 64);
}

// An expert's rows past its last multiple of 128 (its spill) ride on its last full tiles, spread
// evenly, at most tail_rows on each (MoeGeometry::spill).
TEST(KernelGeometry, FullTilesCarryTheSpill) {
  MoeGeometry g;
  g.block_m = 128;
  g.spill = {32, 1};
  EXPECT_EQ(g.row_blocks(0), 0);
  EXPECT_EQ(g.row_blocks(1), 1);  // no full tile to carry it: a tile of its own
  EXPECT_EQ(g.row_blocks(32), 1);
  EXPECT_EQ(g.row_blocks(128), 1);
  EXPECT_EQ(g.row_blocks(129), 1);  // 128 + a tail of 1
  EXPECT_EQ(g.row_blocks(160), 1);  // 128 + 32, the most a tile carries
  EXPECT_EQ(g.row_blocks(161), 2);  // 33: a row block of their own
  EXPECT_EQ(g.row_blocks(256), 2);
  EXPECT_EQ(g.row_blocks(278), 2);  // Mixtral T=1024's largest expert: 2 x 128 + 22
  EXPECT_EQ(g.row_blocks(300), 3);  // 44 is too many for one carrier
  g.spill = {32, 2};
  EXPECT_EQ(g.row_blocks(300), 2);  // 2 x (128 + 22)
  EXPECT_EQ(g.row_blocks(320), 2);  // 2 x (128 + 32)
  EXPECT_EQ(g.row_blocks(321), 3);
  EXPECT_EQ(g.row_blocks(161), 2);  // one full tile carries 32 at most, whatever the rule allows two
  g.spill = {};
  EXPECT_EQ(g.row_blocks(129), 2);
  EXPECT_EQ(g.row_blocks(278), 3);
  EXPECT_EQ(g.row_blocks(256), 2);
  g.block_m = 64;
  EXPECT_EQ(g.row_blocks(65), 2);
}

// Each row block's first row, rows and tail: the spill spread evenly over the carriers, the first
// of them taking the remainder, every row of the expert in exactly one block.
TEST(KernelGeometry, SpillIsSpreadOverTheCarriers) {
  auto rows = [](int expert_rows, int row_block, SpillRule rule) {
    const RowBlockRows r = row_block_rows(expert_rows, row_block, 128, rule);
    return std::tuple{r.offset, r.rows, r.tail};
  };
  const SpillRule one{32, 1}, two{32, 2};
  EXPECT_EQ(rows(256, 0, two), std::tuple(0, 128, 0));
  EXPECT_EQ(rows(256, 1, two), std::tuple(128, 128, 0));
  EXPECT_EQ(rows(150, 0, two), std::tuple(0, 128, 22));  // one full tile: it carries all 22
  EXPECT_EQ(rows(278, 0, two), std::tuple(0, 128, 11));  // 22 past 256: 11 on each tile
  EXPECT_EQ(rows(278, 1, two), std::tuple(139, 128, 11));
  EXPECT_EQ(rows(278, 0, one), std::tuple(0, 128, 0));  // or all 22 on the last
  EXPECT_EQ(rows(278, 1, one), std::tuple(128, 128, 22));
  EXPECT_EQ(rows(267, 0, two), std::tuple(0, 128, 6));  // 11 past 256: 6 and 5
  EXPECT_EQ(rows(267, 1, two), std::tuple(134, 128, 5));
  EXPECT_EQ(rows(395, 0, two), std::tuple(0, 128, 0));  // 11 past 384: the last two take 6 and 5
  EXPECT_EQ(rows(395, 1, two), std::tuple(128, 128, 6));
  EXPECT_EQ(rows(395, 2, two), std::tuple(262, 128, 5));
  EXPECT_EQ(rows(161, 0, one), std::tuple(0, 128, 0));  // 33 past 128: not carried
  EXPECT_EQ(rows(161, 1, one), std::tuple(128, 33, 0));
  EXPECT_EQ(rows(20, 0, two), std::tuple(0, 20, 0));
  EXPECT_EQ(rows(150, 1, SpillRule{}), std::tuple(128, 22, 0));  // no tails at all
  for (const SpillRule rule : {one, two, SpillRule{}}) {
    for (int expert_rows = 1; expert_rows <= 1100; ++expert_rows) {
      const int blocks = expert_row_blocks(expert_rows, 128, rule);
      int next = 0;
      for (int b = 0; b < blocks; ++b) {
        const RowBlockRows r = row_block_rows(expert_rows, b, 128, rule);
        ASSERT_EQ(r.offset, next) << expert_rows << " rows, block " << b;
        ASSERT_LE(r.tail, rule.tail_rows);
        ASSERT_TRUE(r.tail == 0 || r.rows == 128);
        next += r.rows + r.tail;
      }
      ASSERT_EQ(next, expert_rows);
    }
  }
}

// Tails with 128-row tiles and experts of at most ~3 of them; the last two full tiles share them
// where tiles are long.
TEST(KernelGeometry, SpillRuleFollowsTheTiles) {
  EXPECT_EQ(choose_spill_rule(64, 768, 40).tail_rows, 0);  // one consumer warpgroup: no tails
  EXPECT_EQ(choose_spill_rule(128, 768, 256).tail_rows, kMaxTailRows);
  EXPECT_EQ(choose_spill_rule(128, 768, 256).carriers, 1);    // Qwen3-30B-A3B T=4096: 12 K steps a down tile
  EXPECT_EQ(choose_spill_rule(128, 14336, 256).carriers, 2);  // Mixtral-8x7B T=1024: 224
  EXPECT_EQ(choose_spill_rule(128, 14336, 383).tail_rows, kMaxTailRows);
  EXPECT_EQ(choose_spill_rule(128, 14336, 384).tail_rows, 0);           // Mixtral T=1536 and up
  EXPECT_EQ(choose_spill_rule(128, 768, 1024).tail_rows, 0);            // Qwen3 T=16384
  EXPECT_EQ(choose_spill_rule(128, 768, 64).tail_rows, 0);              // Qwen3 T=1024: few full tiles
  EXPECT_EQ(choose_spill_rule(128, 768, 128).tail_rows, kMaxTailRows);  // Qwen3 T=2048
  EXPECT_TRUE(order_tiles_longest_first(choose_spill_rule(128, 14336, 256)));
  EXPECT_FALSE(order_tiles_longest_first(choose_spill_rule(128, 768, 256)));
  EXPECT_FALSE(order_tiles_longest_first(choose_spill_rule(128, 14336, 512)));
}

// Down tiles overlap the gate/up tail where they are short, or where few row blocks share each
// long one (bench/notes.md).
TEST(KernelGeometry, GemmsOverlapWhereDownTilesAreShortOrFewShareThem) {
  EXPECT_TRUE(overlap_gate_up_and_down(768, 4096));   // Qwen3-30B-A3B: 12 K steps, at any T
  EXPECT_TRUE(overlap_gate_up_and_down(1408, 4096));  // Qwen1.5-MoE: 22
  EXPECT_TRUE(overlap_gate_up_and_down(4096, 4096));  // 64 K steps, the most that overlap at any T
  EXPECT_FALSE(overlap_gate_up_and_down(4097, 4096));
  EXPECT_FALSE(overlap_gate_up_and_down(14336, 4096));  // Mixtral-8x7B T=16384: 224 K steps, 32 row blocks
  EXPECT_FALSE(overlap_gate_up_and_down(14336, 384));   // T=1536: 3 full row blocks and a spill
  EXPECT_TRUE(overlap_gate_up_and_down(14336, 383));
  EXPECT_TRUE(overlap_gate_up_and_down(14336, 256));  // T=1024
  EXPECT_TRUE(overlap_gate_up_and_down(14336, 0));
}

// Up to 64 tokens the fused layer is the decode kernel, as long as every CTA can route every
// token in its own shared memory.
TEST(KernelGeometry, DecodeKernelUpTo64Tokens) {
  auto geometry = [](int tokens, int top_k, int experts) {
    MoeGeometry g;
    g.num_tokens = tokens;
    g.top_k = top_k;
    g.num_experts = g.local_experts = experts;
    return g;
  };
  auto router = [](int experts, int groups) {
    RouterParams r;
    r.num_experts = experts;
    r.num_groups = groups;
    return r;
  };
  EXPECT_TRUE(use_decode_kernel(geometry(1, 8, 128), router(128, 1)));
  EXPECT_TRUE(use_decode_kernel(geometry(64, 8, 128), router(128, 1)));  // Qwen3-30B-A3B
  EXPECT_TRUE(use_decode_kernel(geometry(64, 8, 256), router(256, 8)));  // DeepSeek-V3
  EXPECT_TRUE(use_decode_kernel(geometry(64, 8, 384), router(384, 1)));  // Kimi-K2's 384 experts
  EXPECT_FALSE(use_decode_kernel(geometry(65, 2, 8), router(8, 1)));     // past one wgmma N
  EXPECT_FALSE(use_decode_kernel(geometry(0, 2, 8), router(8, 1)));
  EXPECT_TRUE(use_decode_kernel(geometry(16, 64, 64), router(64, 1)));     // 1024 pairs
  EXPECT_FALSE(use_decode_kernel(geometry(32, 64, 64), router(64, 1)));    // 2048 pairs
  EXPECT_FALSE(use_decode_kernel(geometry(4, 8, 1024), router(1024, 1)));  // experts past the shared plan
  // 64 tokens of 512 experts' logits fill most of the ring, and still fit.
  EXPECT_TRUE(use_decode_kernel(geometry(64, 8, 512), router(512, 1)));
  EXPECT_LE(decode_routing_scratch_bytes(64, 8, 512, 1), kDecodeRingBytes);
  // epmoe's routing in one CTA (MOEBENCH_ROUTE_IN_CTA): a token a warp at most, on geometries
  // the decode kernels take.
  EXPECT_EQ(kRouteInCtaMaxTokens, kDecodeThreads / 32);
  EXPECT_TRUE(route_in_cta_fits(geometry(1, 8, 128), router(128, 1)));
  EXPECT_TRUE(route_in_cta_fits(geometry(kRouteInCtaMaxTokens, 8, 256), router(256, 8)));
  EXPECT_FALSE(route_in_cta_fits(geometry(kRouteInCtaMaxTokens + 1, 8, 128), router(128, 1)));
  EXPECT_FALSE(route_in_cta_fits(geometry(0, 2, 8), router(8, 1)));
  EXPECT_FALSE(route_in_cta_fits(geometry(4, 8, 1024), router(1024, 1)));
  EXPECT_TRUE(route_in_cta_fits(geometry(12, 64, 64), router(64, 1)));  // 768 pairs
}

// The decode kernels' stream-K split: every (expert, tile, K step) of a GEMM goes to exactly one
// CTA, runs differ by at most one step, and a CTA's units follow the sequence in order.
TEST(KernelGeometry, DecodeSplitCoversEveryStepOnce) {
  const std::tuple<int, int, int, int> shapes[] = {
      {8, 6, 32, 132},      // Qwen3-30B-A3B T=1 gate/up: 1536 steps
      {2, 16, 224, 132},    // Mixtral-8x7B T=1 down
      {1, 1, 3, 132},       // fewer steps than CTAs: most CTAs idle
      {222, 16, 112, 132},  // DeepSeek-V3 T=64 gate/up
      {5, 3, 7, 4},
  };
  for (const auto& shape : shapes) {
    // Plain variables, not structured bindings: the lambda below captures them (clang < 16).
    const int experts = std::get<0>(shape), tiles = std::get<1>(shape), k_steps = std::get<2>(shape);
    const int ctas = std::get<3>(shape);
    const long long total = static_cast<long long>(experts) * tiles * k_steps;
    std::map<std::tuple<int, int, int>, int> seen;
    long long shortest = total, longest = 0;
    const int slots = units_per_run(total, ctas, k_steps);  // the tile timeline's slots a CTA
    for (int cta = 0; cta < ctas; ++cta) {
      const StepRun run = cta_step_run(total, cta, ctas);
      shortest = std::min(shortest, run.end - run.begin);
      longest = std::max(longest, run.end - run.begin);
      long long covered = 0, previous = -1;
      int units = 0;
      for_each_unit(run, tiles, k_steps, [&](const DecodeUnit& u) {
        ++units;
        ASSERT_LT(u.k_begin, u.k_end);
        ASSERT_LE(u.k_end, k_steps);
        const long long at = (static_cast<long long>(u.active) * tiles + u.tile) * k_steps + u.k_begin;
        EXPECT_GT(at, previous);
        previous = at;
        for (int k = u.k_begin; k < u.k_end; ++k) ++seen[{u.active, u.tile, k}];
        covered += u.k_end - u.k_begin;
      });
      EXPECT_EQ(covered, run.end - run.begin);
      EXPECT_LE(units, slots) << "CTA " << cta << " of " << ctas;
    }
    EXPECT_EQ(static_cast<long long>(seen.size()), total);
    for (const auto& [step, count] : seen) EXPECT_EQ(count, 1);
    EXPECT_LE(longest - shortest, 1);
  }
}

// units_per_run is the most units any run of the longest length can hold, wherever it starts.
TEST(KernelGeometry, DecodeUnitsPerRunIsTight) {
  for (int k_steps : {1, 3, 12, 32}) {
    for (long long length = 0; length <= 3 * k_steps + 2; ++length) {
      int most = 0;
      for (long long begin = 0; begin < k_steps; ++begin) {
        int units = 0;
        for_each_unit(StepRun{begin, begin + length}, 1 << 20, k_steps, [&](const DecodeUnit&) { ++units; });
        most = std::max(most, units);
      }
      // ctas = 1: the run is the whole sequence, as long as `length`.
      EXPECT_EQ(units_per_run(length, 1, k_steps), most) << "length " << length << ", k_steps " << k_steps;
    }
  }
  EXPECT_EQ(units_per_run(1536, 132, 32), 2);  // Qwen3-30B-A3B T=1 gate/up: 12 steps a run
}

// decode_timeline_units gives every CTA room for its units of both GEMMs, whichever experts are
// active, in bf16 (64 K columns a step) and FP8 (128).
TEST(KernelGeometry, DecodeTimelineUnitsHoldEveryRun) {
  struct Shape {
    int experts, top_k, hidden, intermediate, tokens, ctas;
  };
  const Shape shapes[] = {{128, 8, 2048, 768, 1, 132},                                // Qwen3-30B-A3B
                          {128, 8, 2048, 768, 16, 132},                               //
                          {8, 2, 4096, 14336, 1, 132},                                // Mixtral-8x7B
                          {256, 8, 7168, 2048, 64, 132}, {16, 4, 520, 300, 12, 132},  // the GPU test's
                          {5, 3, 200, 72, 3, 4}};
  for (const Shape& shape : shapes) {
    MoeGeometry g;
    g.num_experts = g.local_experts = shape.experts;
    g.top_k = shape.top_k;
    g.hidden = shape.hidden;
    g.intermediate = shape.intermediate;
    g.num_tokens = shape.tokens;
    for (int k_columns : {kBlockK, kFp8BlockK}) {
      const int slots = decode_timeline_units(g, shape.ctas, k_columns);
      const int active = std::min(shape.tokens * shape.top_k, shape.experts);
      const int gemms[2][2] = {{g.gate_up_tiles(), ceil_div(g.hidden, k_columns)},
                               {g.down_tiles(), ceil_div(g.intermediate, k_columns)}};
      for (const auto& gemm : gemms) {
        const long long total = static_cast<long long>(active) * gemm[0] * gemm[1];
        for (int cta = 0; cta < shape.ctas; ++cta) {
          int units = 0;
          for_each_unit(cta_step_run(total, cta, shape.ctas), gemm[0], gemm[1], [&](const DecodeUnit&) { ++units; });
          EXPECT_LE(units, slots) << "H " << shape.hidden << ", T " << shape.tokens << ", CTA " << cta;
        }
      }
    }
  }
}

// The FP8 decode kernel's counters extend the bf16 kernel's: every slot distinct and inside the
// buffer the host allocates (size()), the x slots past the bf16 ones.
TEST(KernelGeometry, Fp8DecodeCountersAreDistinctSlots) {
  const Fp8DecodeCounters counters{{8, 6, 8}};
  std::set<std::int64_t> slots{counters.calls(), counters.ctas_out(), counters.x_groups_done(), counters.x_ready()};
  for (int e = 0; e < 8; ++e) {
    slots.insert(counters.expert_ready(e));
    slots.insert(counters.expert_tiles_done(e));
    for (int tile = 0; tile < 6; ++tile) slots.insert(counters.gate_up_tile_steps(e, tile));
  }
  for (int block = 0; block < 8; ++block) slots.insert(counters.down_block_steps(block));
  EXPECT_EQ(static_cast<std::int64_t>(slots.size()), counters.size());
  EXPECT_EQ(*slots.rbegin(), counters.size() - 1);
  const DecodeCounters bf16_counters{8, 6, 8};
  EXPECT_EQ(counters.x_groups_done(), bf16_counters.size());
}

// Which kernels a case runs by default: the decode kernels where they measured faster, in bf16
// and FP8 alike (fused to 16 tokens, epmoe to 8).
TEST(KernelGeometry, DecodeDefaultsByPath) {
  MoeGeometry g;
  g.top_k = 8;
  g.num_experts = g.local_experts = 128;
  for (int T : {1, 8, 16, 17, 64}) {
    g.num_tokens = T;
    EXPECT_EQ(decode_kernel_is_faster(g, true), T <= kFusedDecodeMaxTokens) << T;
    EXPECT_EQ(decode_kernel_is_faster(g, false), T <= kGroupedDecodeMaxTokens) << T;
  }
}

}  // namespace
}  // namespace moe_kernels
