// The sizes of epmoe's two all-to-alls for one device, from every source's expert offsets (each
// source sorts its (token, slot) rows by expert, so the rows for one EP group are contiguous).
// Dispatch: the rows of group g go to every TP rank of g. Combine: the reverse.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/dtype.hpp"
#include "core/mesh.hpp"

namespace moebench {

struct ExchangePlan {
  std::vector<std::int64_t> send_rows, send_first;  // per peer: rows of this device's sorted order
  std::vector<std::int64_t> recv_rows, recv_first;  // per peer: rows of the received buffer
  std::int64_t received = 0;
};

// Bytes one row takes on the wire. Dispatch: x in bf16 (2 H), or for fp8 its e4m3 codes and one
// f32 scale per 128 channels (H + 4 ceil(H / 128), about half). Combine: y in bf16 whatever the dtype.
std::int64_t dispatch_row_bytes(WeightDtype dtype, std::int64_t hidden);
std::int64_t combine_row_bytes(std::int64_t hidden);

// What one iteration's two exchanges moved between distinct devices (a row that stays on its device
// moves nothing), in the wire formats above.
struct ExchangeBytes {
  std::int64_t dispatch = 0;
  std::int64_t combine = 0;
};

// `offsets`: (devices, E + 1), source s's first sorted row of expert e at s * (E + 1) + e.
ExchangePlan exchange_plan(const DeviceMesh& mesh, std::span<const std::int32_t> offsets, std::int64_t num_experts,
                           int device);

}  // namespace moebench
