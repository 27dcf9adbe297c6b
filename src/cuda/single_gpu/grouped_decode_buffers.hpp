// epmoe's decode GEMMs' workspace on one GPU, bf16 and FP8 alike (moe_kernels::GroupedDecodeWorkspace):
// the f32 partial sums and per-tile counters of the gate/up and the down GEMM, zero at allocation;
// the kernels leave them so. `finish`: who finishes the kernels' units.
#pragma once

#include "cuda/device/device_buffer.hpp"
#include "moe_kernels/launch.hpp"

namespace moebench::cuda {

class GroupedDecodeBuffers {
 public:
  void size(const moe_kernels::MoeGeometry& g, moe_kernels::DecodeFinish finish) {
    finish_ = finish;
    const std::size_t pairs = static_cast<std::size_t>(g.max_pairs());
    gate_up_partial_.resize(pairs * moe_kernels::grouped_decode_partial_columns(true, g));
    down_partial_.resize(pairs * moe_kernels::grouped_decode_partial_columns(false, g));
    gate_up_steps_.resize(static_cast<std::size_t>(g.local_experts) * g.gate_up_tiles());
    down_steps_.resize(static_cast<std::size_t>(g.local_experts) * g.down_tiles());
  }
  moe_kernels::GroupedDecodeWorkspace gate_up() const {
    return {gate_up_partial_.data(), gate_up_steps_.data(), finish_};
  }
  moe_kernels::GroupedDecodeWorkspace down() const { return {down_partial_.data(), down_steps_.data(), finish_}; }

 private:
  DeviceBuffer<float> gate_up_partial_, down_partial_;
  DeviceBuffer<int> gate_up_steps_, down_steps_;
  moe_kernels::DecodeFinish finish_ = moe_kernels::DecodeFinish::kInline;
};

}  // namespace moebench::cuda
