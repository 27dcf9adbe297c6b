// The all-to-all sizes.
#include "core/expert_exchange.hpp"

#include "core/block_quant.hpp"

namespace moebench {

namespace {

// Rows of `source` for EP group `ep_rank`: [first, first + rows) of its sorted order.
Range group_rows(const DeviceMesh& mesh, std::span<const std::int32_t> offsets, std::int64_t num_experts, int source,
                 int ep_rank) {
  const Range experts = mesh.expert_range(ep_rank);
  const std::size_t base = static_cast<std::size_t>(source) * static_cast<std::size_t>(num_experts + 1);
  return {offsets[base + static_cast<std::size_t>(experts.begin)],
          offsets[base + static_cast<std::size_t>(experts.end)]};
}

}  // namespace

std::int64_t dispatch_row_bytes(WeightDtype dtype, std::int64_t hidden) {
  if (dtype == WeightDtype::kFp8Block128) return hidden + 4 * fp8_blocks(hidden);
  return 2 * hidden;
}

std::int64_t combine_row_bytes(std::int64_t hidden) { return 2 * hidden; }

ExchangePlan exchange_plan(const DeviceMesh& mesh, std::span<const std::int32_t> offsets, std::int64_t num_experts,
                           int device) {
  const auto peers = static_cast<std::size_t>(mesh.num_devices());
  ExchangePlan p;
  p.send_rows.resize(peers);
  p.send_first.resize(peers);
  p.recv_rows.resize(peers);
  p.recv_first.resize(peers);
  const int my_group = mesh.coord(device).ep_rank;
  for (std::size_t peer = 0; peer < peers; ++peer) {
    const Range out = group_rows(mesh, offsets, num_experts, device, mesh.coord(static_cast<int>(peer)).ep_rank);
    p.send_first[peer] = out.begin;
    p.send_rows[peer] = out.size();
    const Range in = group_rows(mesh, offsets, num_experts, static_cast<int>(peer), my_group);
    p.recv_first[peer] = p.received;
    p.recv_rows[peer] = in.size();
    p.received += in.size();
  }
  return p;
}

}  // namespace moebench
