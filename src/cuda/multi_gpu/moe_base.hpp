// What both multi-GPU paths share: the mesh, each local GPU's share of the case's tokens (x with
// rows padded to 16 bytes, router logits, the bf16 output) and the output read back in global
// token order (gathered over NCCL from the other nodes when there are several).
#pragma once

#include <cuda_bf16.h>
#include <functional>
#include <string>
#include <vector>

#include "backend/implementation.hpp"
#include "core/mesh.hpp"
#include "core/weights.hpp"
#include "cuda/device/device_buffer.hpp"
#include "cuda/device/device_group.hpp"
#include "moe_kernels/moe_types.hpp"

namespace moebench::cuda {

class MultiGpuMoeBase : public MoeImplementation {
 public:
  MultiGpuMoeBase(DeviceGroup& group, const Problem& problem);

  void prepare(const CaseInputs& inputs) override;
  std::vector<float> output() override;
  void poison_output() override;

 protected:
  struct TokenShard {
    Range tokens;                     // global token range this GPU owns
    DeviceBuffer<__nv_bfloat16> x;    // (tokens, hidden_stride)
    DeviceBuffer<float> logits;       // (tokens, E)
    DeviceBuffer<__nv_bfloat16> out;  // (tokens, H)
  };

  // Grows each path's own buffers for the case (called by prepare, after the shards).
  virtual void size_workspace() = 0;
  // What this path can tell of where each GPU is when one is stuck (DeviceGroup's reporter while
  // this path runs); empty: nothing.
  virtual std::function<std::string()> progress_reporter() { return {}; }
  // Local GPU `local`'s view: its own tokens and k; its experts and intermediate slice.
  moe_kernels::MoeGeometry shard_geometry(int local) const;
  // GPU `local`'s experts and its slice of the intermediate columns.
  Range expert_range(int local) const { return mesh_.expert_range(mesh_.coord(group_.rank(local)).ep_rank); }
  Range intermediate_range(int local) const {
    return mesh_.intermediate_range(mesh_.coord(group_.rank(local)).tp_rank);
  }
  TokenShard& shard(int local) { return shards_[static_cast<std::size_t>(local)]; }

  DeviceGroup& group_;
  Problem problem_;
  DeviceMesh mesh_;
  moe_kernels::RouterParams router_;
  int block_m_ = 64;                    // tile height for this case (all GPUs alike)
  std::int64_t num_tokens_ = 0;         // the case's global T
  std::int64_t max_device_tokens_ = 0;  // the most tokens one GPU owns

 private:
  std::vector<TokenShard> shards_;
};

}  // namespace moebench::cuda
