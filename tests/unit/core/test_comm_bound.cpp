// The communication bound on small routings computed by hand: which rows cross devices, in which
// direction, and the busier direction of the busiest device.
#include <gtest/gtest.h>

#include "core/comm_bound.hpp"
#include "core/expert_exchange.hpp"

namespace moebench {
namespace {

// Distinct sizes, so that a total names how many rows of each kind it holds.
constexpr ExchangeWire kWire{10, 1};

std::vector<LinkTraffic> traffic(int devices, int ep, int experts, std::vector<std::int32_t> ids, int k) {
  return link_traffic(DeviceMesh(devices, ep, experts, 64), ids, k, kWire);
}

void expect_traffic(const std::vector<LinkTraffic>& got, const std::vector<LinkTraffic>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t d = 0; d < got.size(); ++d) {
    EXPECT_EQ(got[d].sent, want[d].sent) << "device " << d;
    EXPECT_EQ(got[d].received, want[d].received) << "device " << d;
  }
}

TEST(CommBound, OneDeviceMovesNothing) {
  const auto t = traffic(1, 1, 4, {0, 1, 2, 3, 3, 2, 1, 0}, 2);
  expect_traffic(t, {{0, 0}});
  EXPECT_EQ(comm_bytes(t), 0);
}

// EP=2, 4 experts (two per device), tokens 0-1 on device 0 and 2-3 on device 1, k=1.
TEST(CommBound, Ep2AllLocalMovesNothing) {
  const auto t = traffic(2, 2, 4, {0, 1, 2, 3}, 1);
  expect_traffic(t, {{0, 0}, {0, 0}});
  EXPECT_EQ(comm_bytes(t), 0);
}

TEST(CommBound, Ep2AllRemoteMovesEveryRowBothWays) {
  const auto t = traffic(2, 2, 4, {2, 3, 0, 1}, 1);
  // Each device: 2 rows out (20) and 2 partial y rows back out (2); the same in.
  expect_traffic(t, {{22, 22}, {22, 22}});
  EXPECT_EQ(comm_bytes(t), 22);
}

TEST(CommBound, Ep2OneRemoteRowEachWay) {
  const auto t = traffic(2, 2, 4, {0, 2, 3, 0}, 1);  // token 1 to device 1, token 3 to device 0
  expect_traffic(t, {{11, 11}, {11, 11}});
}

TEST(CommBound, TheBusierDirectionCounts) {
  // Every token to device 1's experts: device 0 sends its 2 rows and gets 2 y rows back.
  const auto t = traffic(2, 2, 4, {2, 3, 2, 3}, 1);
  expect_traffic(t, {{20, 2}, {2, 20}});
  EXPECT_EQ(comm_bytes(t), 20);
}

// EP=4, one expert per device, one token per device: three tokens to expert 1, one local.
TEST(CommBound, Ep4HotExpertLoadsItsDevice) {
  const auto t = traffic(4, 4, 4, {1, 1, 1, 3}, 1);
  expect_traffic(t, {{10, 1}, {2, 20}, {10, 1}, {0, 0}});
  EXPECT_EQ(comm_bytes(t), 20);
}

// TP=2 (EP=1): every row goes to the other TP rank and its partial comes back, whatever the routing.
TEST(CommBound, Tp2SendsEveryRowToTheOtherRank) {
  const auto t = traffic(2, 1, 2, {0, 1, 1, 0}, 1);
  expect_traffic(t, {{22, 22}, {22, 22}});
}

// EP=2 x TP=2: devices 0,1 hold experts 0,1 and devices 2,3 experts 2,3; one token per device, k=2.
TEST(CommBound, Ep2Tp2CountsEachRemoteTpRank) {
  // t0 (dev 0): e0 -> dev 1; e2 -> dev 2, 3.    t1 (dev 1): e1, e0 -> dev 0 twice.
  // t2 (dev 2): e2, e3 -> dev 3 twice.          t3 (dev 3): e0 -> dev 0, 1; e3 -> dev 2.
  // Rows out: 3, 2, 2, 3; rows in: 3 (1 + 2), 2, 2, 3 (2 + 1).
  const auto t = traffic(4, 2, 4, {0, 2, 1, 0, 2, 3, 0, 3}, 2);
  expect_traffic(t, {{33, 33}, {22, 22}, {22, 22}, {33, 33}});
  EXPECT_EQ(comm_bytes(t), 33);
}

TEST(CommBound, Ep2Tp2AllLocalStillFeedsTheOtherTpRank) {
  // Each token's experts are its own group's: only the other TP rank of the group gets the rows.
  const auto t = traffic(4, 2, 4, {0, 1, 0, 1, 2, 3, 2, 3}, 2);
  expect_traffic(t, {{22, 22}, {22, 22}, {22, 22}, {22, 22}});
}

TEST(CommBound, WireFormatsPerImplementationAndDtype) {
  const ExchangeWire epmoe = exchange_wire(ImplKind::kEpMoe, WeightDtype::kBf16, 4096);
  EXPECT_EQ(epmoe.dispatch_row, 8192);
  EXPECT_EQ(epmoe.combine_row, 8192);
  const ExchangeWire fused = exchange_wire(ImplKind::kFused, WeightDtype::kBf16, 4096);
  EXPECT_EQ(fused.dispatch_row, 8192 + 8);
  EXPECT_EQ(fused.combine_row, 8192);
  // fp8: e4m3 codes and one f32 scale per 128 channels out, bf16 back.
  const ExchangeWire fp8 = exchange_wire(ImplKind::kEpMoe, WeightDtype::kFp8Block128, 4096);
  EXPECT_EQ(fp8.dispatch_row, 4096 + 4 * 32);
  EXPECT_EQ(fp8.combine_row, 8192);
}

TEST(CommBound, FloorAndPercentage) {
  // 1 GB over 100 GB/s: 10 ms; the roofline (4 ms) is the lower bound of the two.
  const auto b = comm_bound(1'000'000'000, 2, 100.0, 4.0, 20.0);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->bytes, 1'000'000'000);
  EXPECT_DOUBLE_EQ(b->floor_ms, 10.0);
  EXPECT_DOUBLE_EQ(b->pct_of_bound, 50.0);
  EXPECT_DOUBLE_EQ(comm_bound(1'000'000'000, 2, 100.0, 16.0, 20.0)->pct_of_bound, 80.0);
  // Without a link bandwidth, or on one device, there is no bound.
  EXPECT_FALSE(comm_bound(1000, 2, 0.0, 4.0, 20.0).has_value());
  EXPECT_FALSE(comm_bound(0, 1, 100.0, 4.0, 20.0).has_value());
}

}  // namespace
}  // namespace moebench
