// The communication bound of a multi-device row (docs/metrics.md, "Communication bound"): the
// bytes each device must send and receive over the links for one iteration of a routing, and how
// long the busiest device's link needs for them at the measured peer bandwidth.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/dtype.hpp"
#include "core/mesh.hpp"
#include "core/problem.hpp"

namespace moebench {

// What one implementation puts on a link per (token, slot) row and per destination device.
struct ExchangeWire {
  std::int64_t dispatch_row = 0;  // x's row in its wire format, plus any per-row metadata
  std::int64_t combine_row = 0;   // one TP rank's partial y row, bf16
};

// epmoe: dispatch_row_bytes(dtype, H) out, combine_row_bytes(H) back. fused: the same, plus the
// 8-byte {local expert, pair index} record it stores beside each dispatched row.
ExchangeWire exchange_wire(ImplKind impl, WeightDtype dtype, std::int64_t hidden);

struct LinkTraffic {
  std::int64_t sent = 0;
  std::int64_t received = 0;
};

// Per device: every (token, slot) row goes from the token's owner to each TP rank of its expert's
// group (nothing where that rank is the owner), and each such rank's partial y comes back.
// `expert_ids`: (num_tokens, top_k), tokens in global order, split over the mesh as it splits them.
std::vector<LinkTraffic> link_traffic(const DeviceMesh& mesh, std::span<const std::int32_t> expert_ids, int top_k,
                                      const ExchangeWire& wire);

// max over devices of max(sent, received): links are full duplex, so a device is held up by its
// busier direction, and the layer ends with its slowest device.
std::int64_t comm_bytes(std::span<const LinkTraffic> traffic);

struct CommBound {
  std::int64_t bytes = 0;   // comm_bytes
  double floor_ms = 0;      // bytes / link bandwidth
  double pct_of_bound = 0;  // 100 * max(roofline_ms, floor_ms) / mean_ms
};

// None for one device or without a measured link bandwidth. `roofline_ms`: 0 where there is none.
std::optional<CommBound> comm_bound(std::int64_t bytes, int num_devices, double link_gbps, double roofline_ms,
                                    double mean_ms);

}  // namespace moebench
