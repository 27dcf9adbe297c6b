// Token shards up, output down.
#include "cuda/multi_gpu/moe_base.hpp"

#include <algorithm>
#include <nccl.h>

#include "core/log.hpp"
#include "cuda/device/cuda_check.hpp"
#include "cuda/device/device_inputs.hpp"
#include "moe_kernels/heuristics.hpp"

namespace moebench::cuda {

MultiGpuMoeBase::MultiGpuMoeBase(DeviceGroup& group, const Problem& problem)
    : group_(group),
      problem_(problem),
      mesh_(problem.mesh()),
      router_(device_router(problem.shape)),
      shards_(static_cast<std::size_t>(group.local_count())) {}

moe_kernels::MoeGeometry MultiGpuMoeBase::shard_geometry(int local) const {
  const MoeShape& s = problem_.shape;
  moe_kernels::MoeGeometry g;
  g.num_tokens = static_cast<int>(shards_[static_cast<std::size_t>(local)].tokens.size());
  g.top_k = static_cast<int>(s.top_k);
  g.num_experts = static_cast<int>(s.num_experts);
  g.expert_begin = static_cast<int>(expert_range(local).begin);
  g.local_experts = static_cast<int>(mesh_.experts_per_device());
  g.hidden = static_cast<int>(s.hidden_size);
  g.intermediate = static_cast<int>(intermediate_range(local).size());
  g.block_m = block_m_;
  return g;
}

void MultiGpuMoeBase::prepare(const CaseInputs& inputs) {
  num_tokens_ = inputs.bench_case.num_tokens;
  const std::int64_t H = problem_.shape.hidden_size, E = problem_.shape.num_experts;
  const std::int64_t stride = (H + 7) / 8 * 8;
  max_device_tokens_ = mesh_.token_range(num_tokens_, 0).size();
  // The tile height follows the rows an expert gets on average, the same on every GPU; the FP8
  // GEMMs have one tile height.
  block_m_ = problem_.dtype == WeightDtype::kFp8Block128
                 ? moe_kernels::kFp8BlockM
                 : moe_kernels::choose_block_m(num_tokens_, static_cast<int>(problem_.shape.top_k),
                                               static_cast<int>(problem_.shape.num_experts));
  log_verbose("{} T={}: tiles of {} token rows", impl_name(kind()), num_tokens_, block_m_);
  group_.for_each([&](int local) {
    TokenShard& s = shard(local);
    s.tokens = mesh_.token_range(num_tokens_, group_.rank(local));
    upload_padded_rows(inputs, s.tokens, H, stride, s.x);
    s.logits.resize(static_cast<std::size_t>(std::max<std::int64_t>(s.tokens.size(), 1) * E));
    MOE_CUDA_CHECK(cudaMemcpy(s.logits.data(), inputs.router_logits.data() + s.tokens.begin * E,
                              static_cast<std::size_t>(s.tokens.size() * E) * sizeof(float), cudaMemcpyHostToDevice));
    s.out.resize(static_cast<std::size_t>(std::max<std::int64_t>(s.tokens.size(), 1) * H));
  });
  size_workspace();
  group_.set_progress_reporter(progress_reporter());
  group_.for_each([&](int) { MOE_CUDA_CHECK(cudaDeviceSynchronize()); });
}

// One node: each local GPU's rows straight down. Several: every GPU's rows, padded to the largest
// share, all-gathered over NCCL so that each node holds the whole output (node 0 checks it).
std::vector<float> MultiGpuMoeBase::output() {
  group_.synchronize();
  const std::int64_t H = problem_.shape.hidden_size;
  std::vector<bf16_bits> bits(static_cast<std::size_t>(num_tokens_ * H));
  if (group_.local_count() == group_.world_size()) {
    group_.for_each([&](int local) {
      const TokenShard& s = shard(local);
      MOE_CUDA_CHECK(cudaMemcpy(bits.data() + s.tokens.begin * H, s.out.data(),
                                static_cast<std::size_t>(s.tokens.size() * H) * sizeof(bf16_bits),
                                cudaMemcpyDeviceToHost));
    });
  } else {
    const auto share = static_cast<std::size_t>(max_device_tokens_ * H);
    std::vector<DeviceBuffer<__nv_bfloat16>> send(static_cast<std::size_t>(group_.local_count())),
        gathered(static_cast<std::size_t>(group_.local_count()));
    group_.for_each([&](int local) {
      const TokenShard& s = shard(local);
      send[static_cast<std::size_t>(local)].resize(share);
      gathered[static_cast<std::size_t>(local)].resize(share * static_cast<std::size_t>(group_.world_size()));
      MOE_CUDA_CHECK(cudaMemcpy(send[static_cast<std::size_t>(local)].data(), s.out.data(),
                                static_cast<std::size_t>(s.tokens.size() * H) * sizeof(bf16_bits),
                                cudaMemcpyDeviceToDevice));
    });
    MOE_NCCL_CHECK(ncclGroupStart());
    for (int local = 0; local < group_.local_count(); ++local) {
      MOE_NCCL_CHECK(ncclAllGather(send[static_cast<std::size_t>(local)].data(),
                                   gathered[static_cast<std::size_t>(local)].data(), share, ncclBfloat16,
                                   group_.comm(local), group_.context(local).stream));
    }
    MOE_NCCL_CHECK(ncclGroupEnd());
    group_.synchronize();
    MOE_CUDA_CHECK(cudaSetDevice(0));
    std::vector<bf16_bits> all(share * static_cast<std::size_t>(group_.world_size()));
    MOE_CUDA_CHECK(cudaMemcpy(all.data(), gathered[0].data(), all.size() * sizeof(bf16_bits), cudaMemcpyDeviceToHost));
    for (int d = 0; d < group_.world_size(); ++d) {
      const Range tokens = mesh_.token_range(num_tokens_, d);
      std::copy_n(all.data() + static_cast<std::size_t>(d) * share, tokens.size() * H, bits.data() + tokens.begin * H);
    }
  }
  std::vector<float> values(bits.size());
  bf16_to_float(bits, values);
  return values;
}

void MultiGpuMoeBase::poison_output() {
  // 0xFFFF is a bf16 NaN: an element the layer forgets to write stays NaN.
  group_.for_each([&](int local) {
    MOE_CUDA_CHECK(
        cudaMemsetAsync(shard(local).out.data(), 0xFF, shard(local).out.bytes(), group_.context(local).stream));
  });
}

}  // namespace moebench::cuda
