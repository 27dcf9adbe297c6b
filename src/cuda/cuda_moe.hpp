// The CUDA backend's two MoE paths on one GPU (the EP = TP = 1 case of the mesh).
#pragma once

#include <memory>

#include "core/problem.hpp"
#include "core/weights.hpp"
#include "cuda/cuda_context.hpp"
#include "runner/implementation.hpp"

namespace moebench::cuda {

std::unique_ptr<MoeImplementation> make_cuda_epmoe(const CudaContext& context, const Problem& problem,
                                                   const EpWeights& weights);
std::unique_ptr<MoeImplementation> make_cuda_fused(const CudaContext& context, const Problem& problem,
                                                   const EpWeights& weights);

// Device bytes each path holds for `num_tokens` (weights included): what check_fits compares.
double cuda_epmoe_bytes(const Problem& problem, std::int64_t num_tokens);
double cuda_fused_bytes(const Problem& problem, std::int64_t num_tokens);

}  // namespace moebench::cuda
