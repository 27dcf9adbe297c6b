// The sizes of epmoe's two all-to-alls for one device, from every source's expert offsets (each
// source sorts its (token, slot) rows by expert, so the rows for one EP group are contiguous).
// Dispatch: the rows of group g go to every TP rank of g. Combine: the reverse.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/mesh.hpp"

namespace moebench {

struct ExchangePlan {
  std::vector<std::int64_t> send_rows, send_first;  // per peer: rows of this device's sorted order
  std::vector<std::int64_t> recv_rows, recv_first;  // per peer: rows of the received buffer
  std::int64_t received = 0;
};

// `offsets`: (devices, E + 1), source s's first sorted row of expert e at s * (E + 1) + e.
ExchangePlan exchange_plan(const DeviceMesh& mesh, std::span<const std::int32_t> offsets, std::int64_t num_experts,
                           int device);

}  // namespace moebench
