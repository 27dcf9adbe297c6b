// The fused MoE layer in one persistent, cooperative sm_90a kernel. Phases, separated by grid
// barriers:
//   1. route every token (a warp each) and count tokens per expert;
//   2. one CTA scans the counts into row offsets and tile prefixes;
//   3. scatter (token, slot) pairs into expert order (indices only: no permuted copy of x);
//   4. gate/up GEMM tiles, A rows gathered straight from x by token index, activation in the
//      epilogue, h written to a workspace that mostly stays in L2;
//   5. down GEMM tiles, y rows written the same way;
//   6. each token's k rows of y summed with their routing weights into the bf16 output.
// Phases 4-6 run warp-specialised: one producer warpgroup feeding one or two consumers.
#include "moe_kernels/detail/combine.cuh"
#include "moe_kernels/detail/epilogues.cuh"
#include "moe_kernels/detail/gemm_phase.cuh"
#include "moe_kernels/detail/grid_barrier.cuh"
#include "moe_kernels/detail/routing.cuh"
#include "moe_kernels/launch.hpp"

namespace moe_kernels {

namespace {

// Phase 1: routing scratch reuses the pipeline's shared memory (the GEMM phases come later).
__device__ void route_phase(const FusedMoeArgs& a, std::uint8_t* smem) {
  const MoeGeometry& g = a.geometry;
  const RoutingBuffers& r = a.routing;
  const int warps = blockDim.x / 32, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  float* scores = reinterpret_cast<float*>(smem) + warp * (a.router.num_experts + a.router.num_groups);
  float* group_scores = scores + a.router.num_experts;
  for (int t = blockIdx.x * warps + warp; t < g.num_tokens; t += gridDim.x * warps) {
    std::int32_t* ids = r.topk_ids + static_cast<std::int64_t>(t) * g.top_k;
    float* weights = r.topk_weights + static_cast<std::int64_t>(t) * g.top_k;
    route_token_warp(a.logits + static_cast<std::int64_t>(t) * a.router.num_experts, a.router, scores, group_scores,
                     ids, weights, lane);
    for (int j = lane; j < g.top_k; j += 32) {
      const int expert = ids[j] - g.expert_begin;
      if (expert >= 0 && expert < g.local_experts) atomicAdd(&r.expert_counts[expert], 1);
    }
    __syncwarp();
  }
}

template <int kConsumers>
__device__ void gate_up_phase(const FusedMoeArgs& a, typename Engine<kConsumers>::Storage& s, PipelineState& state,
                              int role) {
  const MoeGeometry& g = a.geometry;
  const RoutingBuffers& r = a.routing;
  const PhaseTiles phase{r.gate_up_tile_prefix, r.expert_offsets, g.local_experts,
                         ceil_div(g.hidden, kBlockK), Engine<kConsumers>::kBlockM, r.tile_counters};
  run_gemm_phase<kConsumers>(
      s, state, phase, role,
      [&](const TileCoord& c, int thread) {
        TileLoad load{};
        load.a_mode = kLoadAGather;
        load.a_base = a.x;
        load.a_row_elems = g.hidden_stride();
#pragma unroll
        for (int i = 0; i < Engine<kConsumers>::kGatherRowsPerThread; ++i) {
          const int row = thread / 8 + 16 * i;
          const int token = row < c.rows ? __ldcg(&r.sorted_token[c.row_begin + row]) : 0;
          load.a_rows[i] = row < c.rows ? a.x + static_cast<std::int64_t>(token) * g.hidden_stride() : nullptr;
        }
        load.b_map = &a.w13;
        load.b_map2 = nullptr;
        load.b_row = c.n_block * 2 * kGateUpBlock;
        load.b_expert = c.expert;
        return load;
      },
      [&](const TileCoord& c, const float(&acc)[128], int row_offset, int thread) {
        store_gate_up_activation(acc, a.activation, a.h, g.intermediate_stride(), c.row_begin + row_offset,
                                 c.rows - row_offset, c.n_block * kGateUpBlock, g.intermediate_stride(), thread);
        ptx::fence_proxy_async_global();  // h is read by TMA in the next phase
      });
}

template <int kConsumers>
__device__ void down_phase(const FusedMoeArgs& a, typename Engine<kConsumers>::Storage& s, PipelineState& state,
                           int role) {
  const MoeGeometry& g = a.geometry;
  const RoutingBuffers& r = a.routing;
  const PhaseTiles phase{r.down_tile_prefix, r.expert_offsets, g.local_experts,
                         ceil_div(g.intermediate, kBlockK), Engine<kConsumers>::kBlockM, r.tile_counters + 1};
  run_gemm_phase<kConsumers>(
      s, state, phase, role,
      [&](const TileCoord& c, int) {
        TileLoad load{};
        load.a_mode = kLoadATma;
        load.a_map = &a.h_map;
        load.a_row = c.row_begin;
        load.b_map = &a.w2;
        load.b_map2 = nullptr;
        load.b_row = c.n_block * kBlockNB;
        load.b_expert = c.expert;
        return load;
      },
      [&](const TileCoord& c, const float(&acc)[128], int row_offset, int thread) {
        store_rows_bf16(acc, a.y, g.hidden_stride(), c.row_begin + row_offset, c.rows - row_offset,
                        c.n_block * kBlockNB, g.hidden_stride(), thread);
      });
}

// Phase 6, on the consumer warps only: one warp per token.
template <int kConsumers>
__device__ void combine_phase(const FusedMoeArgs& a) {
  constexpr int kWarps = kConsumers * kProducerThreads / 32;
  const int warp = (threadIdx.x - kProducerThreads) / 32;
  for (int t = blockIdx.x * kWarps + warp; t < a.geometry.num_tokens; t += gridDim.x * kWarps)
    combine_token_warp(a.y, a.geometry, a.routing, a.out, t, threadIdx.x % 32);
}

template <int kConsumers>
__global__ void __launch_bounds__(Engine<kConsumers>::kThreads, 1) fused_moe_kernel(const __grid_constant__ FusedMoeArgs a) {
  using E = Engine<kConsumers>;
  extern __shared__ std::uint8_t smem_raw[];
  typename E::Storage& s = E::storage(smem_raw);
  GridBarrier grid{a.barrier, a.barrier + 1};
  const MoeGeometry& g = a.geometry;
  const RoutingBuffers& r = a.routing;

  route_phase(a, s.a[0]);
  grid.sync();
  if (blockIdx.x == 0) scan_expert_counts(g, r, reinterpret_cast<int*>(s.a[0]));
  grid.sync();
  const int pairs = g.num_tokens * g.top_k;
  for (int p = blockIdx.x * blockDim.x + threadIdx.x; p < pairs; p += gridDim.x * blockDim.x) scatter_pair(g, r, p);
  E::init(s);
  grid.sync();

  PipelineState state;
  run_roles<kConsumers>([&](int role) {
    gate_up_phase<kConsumers>(a, s, state, role);
    grid.sync();
    down_phase<kConsumers>(a, s, state, role);
    grid.sync();
    if (role > 0) combine_phase<kConsumers>(a);
  });
}

template <int kConsumers>
cudaError_t set_smem(void (*kernel)(FusedMoeArgs)) {
  return cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, Engine<kConsumers>::kSmemBytes);
}

template <int kConsumers>
cudaError_t launch(const FusedMoeArgs& args, int num_ctas, cudaStream_t stream) {
  const cudaError_t status = set_smem<kConsumers>(fused_moe_kernel<kConsumers>);
  if (status != cudaSuccess) return status;
  cudaLaunchConfig_t config{};
  config.gridDim = dim3(num_ctas);
  config.blockDim = dim3(Engine<kConsumers>::kThreads);
  config.dynamicSmemBytes = Engine<kConsumers>::kSmemBytes;
  config.stream = stream;
  cudaLaunchAttribute cooperative{};
  cooperative.id = cudaLaunchAttributeCooperative;
  cooperative.val.cooperative = 1;
  config.attrs = &cooperative;
  config.numAttrs = 1;
  return cudaLaunchKernelEx(&config, fused_moe_kernel<kConsumers>, args);
}

template <int kConsumers>
cudaError_t max_ctas(int device, int* num_ctas) {
  cudaError_t status = set_smem<kConsumers>(fused_moe_kernel<kConsumers>);
  if (status != cudaSuccess) return status;
  int per_sm = 0, sms = 0;
  status = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, fused_moe_kernel<kConsumers>,
                                                         Engine<kConsumers>::kThreads, Engine<kConsumers>::kSmemBytes);
  if (status != cudaSuccess) return status;
  status = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  if (status != cudaSuccess) return status;
  *num_ctas = per_sm * sms;
  return per_sm > 0 ? cudaSuccess : cudaErrorInvalidConfiguration;
}

}  // namespace

cudaError_t fused_moe_max_ctas(int device, int block_m, int* num_ctas) {
  return block_m == 2 * kWarpgroupRows ? max_ctas<2>(device, num_ctas) : max_ctas<1>(device, num_ctas);
}

cudaError_t launch_fused_moe(const FusedMoeArgs& args, int num_ctas, cudaStream_t stream) {
  return args.geometry.block_m == 2 * kWarpgroupRows ? launch<2>(args, num_ctas, stream)
                                                      : launch<1>(args, num_ctas, stream);
}

}  // namespace moe_kernels
