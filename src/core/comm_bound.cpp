// The communication bound; formulas in docs/metrics.md.
#include "core/comm_bound.hpp"

#include <algorithm>

#include "core/expert_exchange.hpp"

namespace moebench {

namespace {

// fused's ReceivedRow (sm90_fused_moe_ep.cu): two int32 stored into the destination's window.
constexpr std::int64_t kFusedRowRecordBytes = 8;

}  // namespace

ExchangeWire exchange_wire(ImplKind impl, WeightDtype dtype, std::int64_t hidden) {
  ExchangeWire wire{dispatch_row_bytes(dtype, hidden), combine_row_bytes(hidden)};
  if (impl == ImplKind::kFused) wire.dispatch_row += kFusedRowRecordBytes;
  return wire;
}

std::vector<LinkTraffic> link_traffic(const DeviceMesh& mesh, std::span<const std::int32_t> expert_ids, int top_k,
                                      const ExchangeWire& wire) {
  std::vector<LinkTraffic> traffic(static_cast<std::size_t>(mesh.num_devices()));
  const auto num_tokens = static_cast<std::int64_t>(expert_ids.size()) / std::max(top_k, 1);
  for (int source = 0; source < mesh.num_devices(); ++source) {
    const Range tokens = mesh.token_range(num_tokens, source);
    for (std::int64_t pair = tokens.begin * top_k; pair < tokens.end * top_k; ++pair) {
      const int ep_rank = mesh.expert_owner(expert_ids[static_cast<std::size_t>(pair)]);
      for (int tp_rank = 0; tp_rank < mesh.tp_actual(); ++tp_rank) {
        const int dest = mesh.device({ep_rank, tp_rank});
        if (dest == source) continue;  // a row for its own device stays in its memory
        LinkTraffic& out = traffic[static_cast<std::size_t>(source)];
        LinkTraffic& in = traffic[static_cast<std::size_t>(dest)];
        out.sent += wire.dispatch_row;
        in.received += wire.dispatch_row;
        in.sent += wire.combine_row;
        out.received += wire.combine_row;
      }
    }
  }
  return traffic;
}

std::int64_t comm_bytes(std::span<const LinkTraffic> traffic) {
  std::int64_t busiest = 0;
  for (const LinkTraffic& t : traffic) busiest = std::max({busiest, t.sent, t.received});
  return busiest;
}

std::optional<CommBound> comm_bound(std::int64_t bytes, int num_devices, double link_gbps, double roofline_ms,
                                    double mean_ms) {
  if (num_devices < 2 || link_gbps <= 0 || mean_ms <= 0) return std::nullopt;
  CommBound b;
  b.bytes = bytes;
  b.floor_ms = static_cast<double>(bytes) / (link_gbps * 1e9) * 1e3;
  b.pct_of_bound = 100.0 * std::max(roofline_ms, b.floor_ms) / mean_ms;
  return b;
}

}  // namespace moebench
