// What epmoe over several GPUs does whatever the dtype: the route over all experts with the own
// rows sorted by expert, the offsets all-gathered and read back once (NCCL needs the send/recv
// sizes on the host), the two all-to-alls (grouped send/recv) and the weighted sum. A dtype's path
// (epmoe.cpp, epmoe_fp8.cpp) supplies the rows the dispatch sends (bf16, or e4m3 codes and scales
// packed) and the expert FFN over the rows this GPU received.
#pragma once

#include <cstdint>
#include <vector>

#include "core/expert_exchange.hpp"
#include "cuda/device/cuda_handles.hpp"
#include "cuda/device/device_buffer.hpp"
#include "cuda/device/routing_storage.hpp"
#include "cuda/multi_gpu/moe_base.hpp"

namespace moebench::cuda {

class MultiGpuEpMoeBase : public MultiGpuMoeBase {
 public:
  MultiGpuEpMoeBase(DeviceGroup& group, const Problem& problem);

  ImplKind kind() const override { return ImplKind::kEpMoe; }
  bool graph_capturable() const override { return false; }
  void run_iteration() final;

 protected:
  // One GPU's side of the exchanges. The dispatch's rows are dispatch_row_bytes() bytes each, 16
  // byte aligned; the received rows' buffer later holds y in arrival order (rows of H in bf16).
  struct Exchange {
    RoutingStorage own, received;            // own tokens' pairs over all experts; received rows
    DeviceBuffer<std::int32_t> all_offsets;  // (world, E + 1)
    DeviceBuffer<std::uint8_t> sorted_rows;  // own rows sorted by expert, as the dispatch sends them
    DeviceBuffer<std::uint8_t> received_rows;
    DeviceBuffer<__nv_bfloat16> y_back;  // (tp_actual, pairs, H): each TP rank's partial y
    ExchangePlan plan;

    __nv_bfloat16* y_arrival() const { return reinterpret_cast<__nv_bfloat16*>(received_rows.data()); }
  };

  // Bytes of one dispatched row (a multiple of 16).
  virtual std::int64_t dispatch_row_bytes() const = 0;
  // Own rows, sorted (exchange(local).own's order), into exchange(local).sorted_rows.
  virtual void write_sorted_rows(int local) = 0;
  // The experts' FFN over the received rows (received_geometry, exchange(local).received's routing
  // once labelled), y left in arrival order at exchange(local).y_arrival().
  virtual void expert_ffn(int local) = 0;
  // The path's own buffers for the case, after the exchange's (size_workspace).
  virtual void size_ffn_workspace(int local) = 0;

  Exchange& exchange(int local) { return exchanges_[static_cast<std::size_t>(local)]; }
  // Own tokens, as the routing step sees them: every expert "local", so that the scan gives the
  // offsets of all experts, i.e. of every EP group's contiguous rows.
  moe_kernels::MoeGeometry own_geometry(int local) const;
  // The rows this GPU received, k = 1, its experts and intermediate slice.
  moe_kernels::MoeGeometry received_geometry(int local) const;
  // The most rows one GPU can receive.
  std::int64_t max_received() const;
  // The received rows labelled by local expert, counted, scanned and scattered (received routing).
  void sort_received_rows(int local);

 private:
  void size_workspace() final;
  void route_own_tokens(int local);
  void share_offsets();
  void all_to_all(bool combine);
  void weighted_sum(int local);

  std::vector<Exchange> exchanges_;
  PinnedBuffer<std::int32_t> host_offsets_;  // (world, E + 1)
};

}  // namespace moebench::cuda
