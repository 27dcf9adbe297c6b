// EP x TP ownership arithmetic.
#include <gtest/gtest.h>

#include "core/mesh.hpp"

namespace moebench {
namespace {

TEST(Mesh, EvenSplitSpreadsTheRemainderOverTheFirst) {
  EXPECT_EQ(even_split(10, 4, 0).begin, 0);
  EXPECT_EQ(even_split(10, 4, 0).size(), 3);
  EXPECT_EQ(even_split(10, 4, 1).size(), 3);
  EXPECT_EQ(even_split(10, 4, 2).size(), 2);
  EXPECT_EQ(even_split(10, 4, 3).end, 10);
  EXPECT_EQ(even_split(2, 4, 3).size(), 0);
}

TEST(Mesh, CoordinatesAndOwnership) {
  const DeviceMesh mesh(8, 4, 128, 768);  // EP=4, TP=2
  EXPECT_EQ(mesh.tp_actual(), 2);
  EXPECT_EQ(mesh.coord(5).ep_rank, 2);
  EXPECT_EQ(mesh.coord(5).tp_rank, 1);
  EXPECT_EQ(mesh.device({2, 1}), 5);
  EXPECT_EQ(mesh.expert_range(2).begin, 64);
  EXPECT_EQ(mesh.expert_range(2).end, 96);
  EXPECT_EQ(mesh.expert_owner(95), 2);
  EXPECT_EQ(mesh.intermediate_range(1).begin, 384);
  EXPECT_EQ(mesh.token_range(100, 7).begin, 88);
  EXPECT_EQ(mesh.token_range(100, 7).end, 100);
}

TEST(Mesh, EveryDeviceCoveredOnce) {
  const DeviceMesh mesh(12, 3, 60, 1408);
  std::int64_t tokens = 0, inter = 0;
  for (int d = 0; d < mesh.num_devices(); ++d) {
    EXPECT_EQ(mesh.device(mesh.coord(d)), d);
    tokens += mesh.token_range(1001, d).size();
  }
  for (int r = 0; r < mesh.tp_actual(); ++r) inter += mesh.intermediate_range(r).size();
  EXPECT_EQ(tokens, 1001);
  EXPECT_EQ(inter, 1408);
}

}  // namespace
}  // namespace moebench
