// What both one-GPU paths share: the geometry and router on the device, the case's inputs uploaded
// (x padded to 16-byte rows), the routing buffers, and the bf16 output.
#pragma once

#include <cuda_bf16.h>
#include <vector>

#include "backend/implementation.hpp"
#include "core/mesh.hpp"
#include "cuda/device/cuda_context.hpp"
#include "cuda/device/device_buffer.hpp"
#include "cuda/device/device_inputs.hpp"
#include "cuda/device/routing_storage.hpp"
#include "moe_kernels/decode_limits.hpp"
#include "moe_kernels/moe_types.hpp"

namespace moebench::cuda {

class SingleGpuMoeBase : public MoeImplementation {
 public:
  SingleGpuMoeBase(const CudaContext& context, const Problem& problem);

  void prepare(const CaseInputs& inputs) override;
  std::vector<float> output() override;
  void poison_output() override;

 protected:
  // Grows the path's own workspace for geometry_.num_tokens (called by prepare).
  virtual void size_workspace() = 0;
  moe_kernels::RoutingBuffers routing_buffers() const { return routing_.view(); }
  // Whether this case runs the decode kernels: where moe_kernels::use_decode_kernel accepts the
  // geometry and, unless MOEBENCH_DECODE says `on` or `off` (tests, A/B timings), where they
  // measured faster (moe_kernels::decode_kernel_is_faster).
  bool use_decode_kernels() const;
  enum class DecodeSetting { kAuto, kOn, kOff };
  static DecodeSetting decode_setting();
  // Who finishes the decode kernels' units (moe_kernels::DecodeFinish): the finisher warps with
  // MOEBENCH_DECODE_HANDOFF=on, else the consumers. Opt-in until a GPU has timed the two.
  static moe_kernels::DecodeFinish decode_finish();
  // The --verbose words that say so: "" or "; units finished by the finisher warps (...)".
  static const char* decode_finish_note();
  // Whether epmoe's tiled GEMMs of this case run on pairs of CTAs that multicast the weight tiles
  // they share (moe_kernels' clustered engines): with MOEBENCH_GEMM_CLUSTER=on, for 128-row tiles
  // and not on the decode kernels. Opt-in until an H100 has timed it against the default.
  bool use_clustered_gemms() const;
  // Whether epmoe routes, counts and sorts this case's tokens in one launch of one CTA
  // (moe_kernels::launch_route_and_sort_in_cta) instead of three kernels: with
  // MOEBENCH_ROUTE_IN_CTA=on, on the decode GEMMs' path, up to a token a warp
  // (moe_kernels::route_in_cta_fits). Opt-in until a GPU has timed the two.
  bool use_route_in_cta() const;

  CudaContext context_;
  Problem problem_;
  moe_kernels::MoeGeometry geometry_;
  moe_kernels::RouterParams router_;
  DeviceBuffer<__nv_bfloat16> x_;    // (T, hidden_stride)
  DeviceBuffer<float> logits_;       // (T, E)
  DeviceBuffer<__nv_bfloat16> out_;  // (T, H)

 private:
  RoutingStorage routing_;
};

}  // namespace moebench::cuda
