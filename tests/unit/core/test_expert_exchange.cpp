// The host arithmetic of the multi-GPU paths: epmoe's all-to-all sizes from the sources' expert
// offsets, and the layout of fused's symmetric window. Checked on every layout of up to 8 devices
// with random routings.
#include <gtest/gtest.h>

#include <numeric>
#include <random>

#include "core/expert_exchange.hpp"
#include "moe_kernels/expert_parallel_window.hpp"

namespace moebench {
namespace {

struct MeshLayout {
  int devices, ep;
};

const MeshLayout kLayouts[] = {{1, 1}, {2, 2}, {2, 1}, {4, 4}, {4, 2}, {4, 1}, {8, 8}, {8, 4}, {8, 2}, {8, 1}};

// Every source's sorted-row offsets for random per-expert counts.
std::vector<std::int32_t> random_offsets(int devices, int experts, std::mt19937& rng) {
  std::vector<std::int32_t> offsets(static_cast<std::size_t>(devices * (experts + 1)));
  std::uniform_int_distribution<int> count(0, 9);
  for (int s = 0; s < devices; ++s) {
    std::int32_t* o = offsets.data() + s * (experts + 1);
    o[0] = 0;
    for (int e = 0; e < experts; ++e) o[e + 1] = o[e] + (e % 5 == 3 ? 0 : count(rng));  // some experts empty
  }
  return offsets;
}

TEST(ExpertExchange, EveryRowGoesToEachTpRankOfItsGroupAndComesBack) {
  std::mt19937 rng(7);
  const int experts = 16;
  for (const MeshLayout& l : kLayouts) {
    const DeviceMesh mesh(l.devices, l.ep, experts, 64);
    const std::vector<std::int32_t> offsets = random_offsets(l.devices, experts, rng);
    std::vector<ExchangePlan> plans;
    for (int d = 0; d < l.devices; ++d) plans.push_back(exchange_plan(mesh, offsets, experts, d));
    for (int src = 0; src < l.devices; ++src) {
      const ExchangePlan& p = plans[static_cast<std::size_t>(src)];
      const std::int32_t total = offsets[static_cast<std::size_t>(src * (experts + 1) + experts)];
      // The rows src sends to one TP rank of each group tile its sorted order exactly.
      std::int64_t next = 0;
      for (int g = 0; g < l.ep; ++g) {
        const auto peer = static_cast<std::size_t>(mesh.device({g, 0}));
        EXPECT_EQ(p.send_first[peer], next);
        next += p.send_rows[peer];
        for (int t = 1; t < mesh.tp_actual(); ++t) {
          const auto other = static_cast<std::size_t>(mesh.device({g, t}));
          EXPECT_EQ(p.send_first[other], p.send_first[peer]);
          EXPECT_EQ(p.send_rows[other], p.send_rows[peer]);
        }
      }
      EXPECT_EQ(next, total) << l.devices << "x" << l.ep << " source " << src;
      // What src sends dst is what dst expects from src.
      for (int dst = 0; dst < l.devices; ++dst) {
        const ExchangePlan& q = plans[static_cast<std::size_t>(dst)];
        EXPECT_EQ(p.send_rows[static_cast<std::size_t>(dst)], q.recv_rows[static_cast<std::size_t>(src)]);
      }
    }
    for (const ExchangePlan& q : plans) {
      EXPECT_EQ(q.received, std::accumulate(q.recv_rows.begin(), q.recv_rows.end(), std::int64_t{0}));
      for (std::size_t s = 1; s < q.recv_first.size(); ++s)
        EXPECT_EQ(q.recv_first[s], q.recv_first[s - 1] + q.recv_rows[s - 1]);
    }
  }
}

TEST(ExpertExchange, WindowRegionsAreAlignedDisjointAndHoldTheWorstCase) {
  for (const MeshLayout& l : kLayouts) {
    for (int k : {1, 2, 8, 40}) {
      const int experts = 64, hidden = 2050;
      const std::int64_t tokens = 1000;
      const auto w = moe_kernels::expert_parallel_window(l.devices, l.ep, experts, k, hidden, tokens);
      const std::uint64_t row_bytes = 2056 * 2;
      const std::uint64_t rows = static_cast<std::uint64_t>(l.devices) * static_cast<std::uint64_t>(w.source_capacity);
      for (std::uint64_t offset : {w.recv_x, w.recv_meta, w.recv_count, w.y_back, w.bytes})
        EXPECT_EQ(offset % moe_kernels::kWindowAlignment, 0u);
      EXPECT_GE(w.recv_meta, w.recv_x + rows * row_bytes);
      EXPECT_GE(w.recv_count, w.recv_meta + rows * 8);
      EXPECT_GE(w.y_back, w.recv_count + static_cast<std::uint64_t>(l.devices) * 4);
      EXPECT_GE(w.bytes, w.y_back + static_cast<std::uint64_t>(w.tp_actual) *
                                        static_cast<std::uint64_t>(w.pair_capacity) * row_bytes);
      // A source's tokens all routed to one group: each token sends at most one row per expert of
      // that group, and at most k.
      EXPECT_EQ(w.source_capacity, tokens * std::min(k, experts / l.ep));
      EXPECT_EQ(w.pair_capacity, tokens * k);
      EXPECT_EQ(w.tp_actual, l.devices / l.ep);
    }
  }
}

// Received rows are bf16 rows of hidden_stride unless the path names its own (the FP8 kernel's
// packed rows, smaller past a few dozen channels, larger below).
TEST(ExpertExchange, WindowRowsAreThePathsRows) {
  for (int hidden : {8, 100, 2048}) {
    const auto bf16 = moe_kernels::expert_parallel_window(2, 2, 8, 2, hidden, 10);
    EXPECT_EQ(bf16.recv_row_bytes, static_cast<std::uint64_t>((hidden + 7) / 8 * 8) * 2);
    const auto fp8 = moe_kernels::expert_parallel_window(2, 2, 8, 2, hidden, 10, 2064);
    EXPECT_EQ(fp8.recv_row_bytes, 2064u);
    EXPECT_GE(fp8.recv_meta, fp8.recv_x + 2ull * fp8.source_capacity * 2064);
    EXPECT_EQ(fp8.y_back - fp8.recv_count, bf16.y_back - bf16.recv_count);  // y goes back in bf16 either way
  }
}

}  // namespace
}  // namespace moebench
