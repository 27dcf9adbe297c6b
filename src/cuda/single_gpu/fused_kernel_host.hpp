// What the one-GPU fused paths (fused.cpp in bf16, fused_fp8.cpp in FP8) do alike around their two
// kernels, the tiled one and the decode one: the args each launch takes from the layer rather than
// the case, room in the tile timeline, the stage stamps the kernels leave read back, and the
// implementation that launches one or the other (SingleGpuFusedBase).
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/kernel_stages.hpp"
#include "cuda/device/cuda_handles.hpp"
#include "cuda/device/device_buffer.hpp"
#include "cuda/single_gpu/moe_base.hpp"
#include "cuda/single_gpu/tile_timeline.hpp"
#include "kernel_reports/kernel_stage_spans.hpp"
#include "moe_kernels/decode_split.hpp"
#include "moe_kernels/fused_stages.hpp"
#include "moe_kernels/launch.hpp"
#include "moe_kernels/moe_types.hpp"
#include "profile/phase.hpp"

namespace moebench::cuda {

// Host-mapped memory a fused kernel stamps its phases into, rewritten by every launch.
using FusedStageStamps = PinnedBuffer<moe_kernels::FusedStageTimes>;

// The phases of the latest launch; `kernel` names it as the trace does.
inline KernelStages read_fused_kernel_stages(const FusedStageStamps& stamps, int device, const char* kernel) {
  moe_kernels::FusedStageTimes copy{};
  // volatile: the kernel wrote them behind the compiler's back.
  const volatile moe_kernels::FusedStageTimes* times = stamps.data();
  for (int s = 0; s < moe_kernels::kFusedStageCount; ++s) copy.start_ns[s] = times->start_ns[s];
  copy.end_ns = times->end_ns;
  return fused_kernel_stages(copy, device, kernel);
}

// What every fused kernel's args (tiled or decode, bf16 or FP8) take from the layer.
template <typename Args>
void set_layer_args(Args& args, const FusedStageStamps& stamps, const moe_kernels::RouterParams& router,
                    moe_kernels::Activation activation) {
  args.stage_times = stamps.data();
  args.router = router;
  args.activation = activation;
}

// The tiled kernels' (expert, row block) pairs at most: 64-row blocks, plus each expert's partial one.
inline std::uint64_t tiled_max_row_blocks(const moe_kernels::MoeGeometry& g) {
  return g.max_pairs() / moe_kernels::kWarpgroupRows + static_cast<std::uint64_t>(g.local_experts) + 1;
}

// Where MOEBENCH_TILE_TIMELINE asks for one, room for every tile of a tiled kernel's two GEMMs
// (row blocks times output blocks), handed to its args.
template <typename Args>
void attach_tiled_timeline(TileTimeline& timeline, const moe_kernels::MoeGeometry& g, Args& args) {
  if (!timeline.enabled()) return;
  timeline.size(static_cast<int>(tiled_max_row_blocks(g)) * std::max(g.gate_up_tiles(), g.down_tiles()));
  args.tile_spans = timeline.spans();
  args.tile_span_capacity = timeline.capacity();
}

// The same for a decode kernel of `ctas` CTAs: each CTA's units, whose K steps are k_columns wide.
template <typename DecodeArgs>
void attach_decode_timeline(TileTimeline& timeline, const moe_kernels::MoeGeometry& g, int ctas, int k_columns,
                            DecodeArgs& args) {
  if (!timeline.enabled()) return;
  args.tile_span_units = moe_kernels::decode_timeline_units(g, ctas, k_columns);
  timeline.size(ctas * args.tile_span_units);
  args.tile_spans = timeline.spans();
}

// A path's two fused kernels: their names in traces and their launches.
template <typename TiledArgs, typename DecodeArgs>
struct FusedKernelPair {
  const char* tiled_name;
  const char* decode_name;
  cudaError_t (*launch_tiled)(const TiledArgs&, int num_ctas, cudaStream_t);
  cudaError_t (*launch_decode)(const DecodeArgs&, int num_ctas, cudaStream_t);
};

// A fused implementation on one GPU: each case runs the decode kernel (use_decode_kernels) or
// the tiled one of `kernels`, one cooperative launch an iteration; the path sizes each kernel's
// own workspace.
template <typename TiledArgs, typename DecodeArgs>
class SingleGpuFusedBase : public SingleGpuMoeBase {
 public:
  SingleGpuFusedBase(const CudaContext& context, const Problem& problem,
                     const FusedKernelPair<TiledArgs, DecodeArgs>& kernels)
      : SingleGpuMoeBase(context, problem), kernels_(kernels) {
    barrier_.resize(3);
    set_layer_args(args_, stage_times_, router_, problem.shape.activation);
    set_layer_args(decode_args_, stage_times_, router_, problem.shape.activation);
  }
  // The last launch may still write the stamps (pinned host memory) and the timeline. The paths'
  // own device buffers, destroyed before this runs, are freed by cudaFree, which waits for the
  // device first.
  ~SingleGpuFusedBase() override { cudaStreamSynchronize(context_.stream); }
  SingleGpuFusedBase(const SingleGpuFusedBase&) = delete;
  SingleGpuFusedBase& operator=(const SingleGpuFusedBase&) = delete;

  ImplKind kind() const override { return ImplKind::kFused; }

  KernelStages last_kernel_stages() const override {
    return read_fused_kernel_stages(stage_times_, context_.device,
                                    decode_ ? kernels_.decode_name : kernels_.tiled_name);
  }

  void run_iteration() override {
    const ScopedPhase phase("fused_moe");
    if (tile_timeline_.enabled()) tile_timeline_.clear(context_.stream);
    MOE_CUDA_CHECK(decode_ ? kernels_.launch_decode(decode_args_, decode_ctas_, context_.stream)
                           : kernels_.launch_tiled(args_, num_ctas_, context_.stream));
    if (tile_timeline_.enabled()) tile_timeline_.write(context_.stream, geometry_.num_tokens);
  }

 protected:
  // The case's workspace for the tiled kernel (args_, num_ctas_), or for the decode kernel
  // (decode_args_, decode_ctas_).
  virtual void size_tiled_workspace() = 0;
  virtual void size_decode_workspace() = 0;

  DeviceBuffer<unsigned int> barrier_;
  DeviceBuffer<std::int32_t> row_block_done_;
  TileTimeline tile_timeline_;
  FusedStageStamps stage_times_{1, cudaHostAllocMapped};  // written by the kernel
  TiledArgs args_{};
  int num_ctas_ = 0;
  bool decode_ = false;  // this case runs the decode kernel
  // The decode kernel's f32 partial sums, which it leaves zero, and its counters.
  DeviceBuffer<float> gate_up_partial_, out_partial_;
  DeviceBuffer<int> decode_counters_;
  DecodeArgs decode_args_{};
  int decode_ctas_ = 0;

 private:
  FusedKernelPair<TiledArgs, DecodeArgs> kernels_;

  void size_workspace() final {
    decode_ = use_decode_kernels();
    if (decode_) size_decode_workspace();
    else size_tiled_workspace();
  }
};

}  // namespace moebench::cuda
