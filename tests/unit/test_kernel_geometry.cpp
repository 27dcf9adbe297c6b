// Host-side arithmetic of the CUDA kernels: strides, tile counts, the tile-height heuristic.
#include <gtest/gtest.h>

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
  EXPECT_EQ(g.gate_up_tiles(), 7);   // ceil(770 / 128)
  EXPECT_EQ(g.down_tiles(), 9);      // ceil(2050 / 256)
  EXPECT_EQ(g.max_pairs(), 30);
}

TEST(KernelGeometry, TileHeightFollowsTokensPerExpert) {
  EXPECT_EQ(choose_block_m(64, 8, 128), 64);      // 4 rows per expert
  EXPECT_EQ(choose_block_m(512, 8, 128), 64);     // 32 rows per expert
  EXPECT_EQ(choose_block_m(1024, 8, 128), 128);   // 64 rows per expert
  EXPECT_EQ(choose_block_m(2048, 8, 128), 128);   // 128 rows per expert
  EXPECT_EQ(choose_block_m(64, 2, 8), 64);        // Mixtral, 16 rows per expert
  EXPECT_EQ(choose_block_m(256, 2, 8), 128);      // Mixtral, 64 rows per expert
  EXPECT_EQ(choose_block_m(1024, 2, 8), 128);
  EXPECT_EQ(choose_block_m(1, 1, 0), 64);
}

// Down tiles overlap the gate/up tail only where they are short (bench/notes.md).
TEST(KernelGeometry, GemmsOverlapWhereDownTilesAreShort) {
  EXPECT_TRUE(overlap_gate_up_and_down(768));     // Qwen3-30B-A3B: 12 K steps
  EXPECT_TRUE(overlap_gate_up_and_down(1408));    // Qwen1.5-MoE: 22
  EXPECT_TRUE(overlap_gate_up_and_down(4096));    // 64 K steps, the most that overlap
  EXPECT_FALSE(overlap_gate_up_and_down(4097));
  EXPECT_FALSE(overlap_gate_up_and_down(14336));  // Mixtral-8x7B: 224
}

}  // namespace
}  // namespace moe_kernels
