// The CUDA backend's two MoE paths over several GPUs (EP x TP, one node or several).
#pragma once

#include <memory>

#include "backend/implementation.hpp"
#include "core/problem.hpp"
#include "core/weights.hpp"
#include "cuda/device/device_group.hpp"

namespace moebench::cuda {

// epmoe in the problem's dtype (the FP8 path: make_multi_gpu_epmoe_fp8).
std::unique_ptr<MoeImplementation> make_multi_gpu_epmoe(DeviceGroup& group, const Problem& problem,
                                                        const EpWeights& weights);
std::unique_ptr<MoeImplementation> make_multi_gpu_epmoe_fp8(DeviceGroup& group, const Problem& problem,
                                                            const EpWeights& weights);
// `max_tokens`: the run's largest case, for which fused registers its symmetric window up front
// (0: as the cases come, growing it collectively when a case needs more).
std::unique_ptr<MoeImplementation> make_multi_gpu_fused(DeviceGroup& group, const Problem& problem,
                                                        const EpWeights& weights, std::int64_t max_tokens = 0);

// Bytes one GPU holds for `num_tokens` global tokens (its weight shard included): what
// check_fits compares with the free memory of each GPU.
double multi_gpu_epmoe_bytes_per_device(const Problem& problem, std::int64_t num_tokens);
double multi_gpu_fused_bytes_per_device(const Problem& problem, std::int64_t num_tokens);

}  // namespace moebench::cuda
