// The router's parameters and x's padded rows, on the device.
#include "cuda/device/device_inputs.hpp"

#include <algorithm>
#include <vector>

namespace moebench::cuda {

moe_kernels::RouterParams device_router(const MoeShape& shape) {
  moe_kernels::RouterParams p;
  p.num_experts = static_cast<int>(shape.num_experts);
  p.top_k = static_cast<int>(shape.top_k);
  p.sigmoid = shape.router.scoring == ScoringFunc::kSigmoid;
  p.renormalize = shape.router.renormalize;
  p.num_groups = shape.router.num_groups;
  p.topk_groups = shape.router.topk_groups;
  p.group_score_top = shape.router.group_score_top;
  p.routed_scaling_factor = static_cast<float>(shape.router.routed_scaling_factor);
  return p;
}

void upload_padded_rows(const CaseInputs& inputs, Range tokens, std::int64_t hidden, std::int64_t stride,
                        DeviceBuffer<__nv_bfloat16>& x) {
  std::vector<bf16_bits> padded(static_cast<std::size_t>(tokens.size() * stride), 0);
  for (std::int64_t t = 0; t < tokens.size(); ++t)
    std::copy_n(inputs.hidden_states.data() + (tokens.begin + t) * hidden, hidden, padded.data() + t * stride);
  x.upload(reinterpret_cast<const __nv_bfloat16*>(padded.data()), padded.size());
}

}  // namespace moebench::cuda
