// The CUDA backend's two MoE paths on one GPU (the EP = TP = 1 case of the mesh).
#pragma once

#include <memory>

#include "backend/implementation.hpp"
#include "core/problem.hpp"
#include "core/weights.hpp"
#include "cuda/device/cuda_context.hpp"

namespace moebench::cuda {

// Either dtype (problem.dtype): fp8 quantizes `weights` (core/fp8_weights.hpp) and runs the FP8 kernels.
std::unique_ptr<MoeImplementation> make_single_gpu_epmoe(const CudaContext& context, const Problem& problem,
                                                         const EpWeights& weights);
std::unique_ptr<MoeImplementation> make_single_gpu_fused(const CudaContext& context, const Problem& problem,
                                                         const EpWeights& weights);
std::unique_ptr<MoeImplementation> make_single_gpu_epmoe_fp8(const CudaContext& context, const Problem& problem,
                                                             const EpWeights& weights);
std::unique_ptr<MoeImplementation> make_single_gpu_fused_fp8(const CudaContext& context, const Problem& problem,
                                                             const EpWeights& weights);

// Device bytes each path holds for `num_tokens` (weights included): what check_fits compares.
double single_gpu_epmoe_bytes(const Problem& problem, std::int64_t num_tokens);
double single_gpu_fused_bytes(const Problem& problem, std::int64_t num_tokens);

}  // namespace moebench::cuda
