// The fused MoE layer in one persistent, cooperative sm_90a kernel. Phases, separated by grid
// barriers:
//   1. route every token (a warp each) and count tokens per expert;
//   2. one CTA scans the counts into row offsets and tile prefixes;
//   3. scatter (token, slot) pairs into expert order (indices only: no permuted copy of x);
//   4. gate/up GEMM tiles, A rows gathered straight from x by token index, activation in the
//      epilogue, h written to a workspace that mostly stays in L2;
//   5. down GEMM tiles, y rows written the same way, each tile started once the gate/up tiles of
//      its rows are done (per-row-block counts, no grid barrier in between);
//   6. each token's k rows of y summed with their routing weights into the bf16 output.
// Phases 4-6 run warp-specialised: one producer warpgroup feeding one or two consumers. CTA 0
// stamps the start of each phase for --profile (fused_stages.hpp); its down_gemm starts when its
// own producer is done with gate/up, so the last gate/up tiles elsewhere overlap it.
#include "moe_kernels/detail/cooperative_launch.cuh"
#include "moe_kernels/detail/fused_phases.cuh"
#include "moe_kernels/detail/grid_barrier.cuh"
#include "moe_kernels/launch.hpp"

namespace moe_kernels {

namespace {

// kTails: the engine's tail rows (Engine), 0 or kMaxTailRows, by MoeGeometry::spill.
//
// Local memory as ptxas reports it (-warn-lmem-usage, -warn-spills). None of it is inside a K
// loop (the consumers' wgmma mainloop, the producer's loads); the spills are at most a few
// dozen L1 hits per thread a tile, so they stay:
//   <1, 0>: 176 registers, a 16-byte frame, no spills. The frame is route_phase's best[]
//     (routing.cuh), which only grouped routers touch (its cost: moe_routing.cu), and a dead
//     store the combine leaves in it (combine.cuh).
//   <2, 0>: a 48-byte frame, 48 bytes of spill stores and 80 of loads. setmaxnreg leaves the
//     producer 40 registers: num_tiles, local_experts - 1, the address of s.schedule_order and a
//     word of predicates go to the stack once a phase, and come back for the tile handshake and
//     thread 0's decode of the next tile: a tile reloads 1 on every producer thread and 5 (gate/up)
//     or 1 (down) more on thread 0. The consumers (232) store the tile's expert, for its --profile
//     span, once a gate/up tile.
//   <2, kMaxTailRows>: a 96-byte frame, 128 bytes of spill stores and 164 of loads. The producer
//     (56) reloads 2 words a tile. The consumers (224: the tails' accumulators take the rest) keep
//     the tile ring's position and the tile's span fields on the stack across the mainloop, and
//     store_rows_bf16_wide's row pointers across its shuffles: under 10 accesses a gate/up tile,
//     about 25 a down tile, beside a mainloop of thousands of cycles.
template <int kConsumers, int kTails>
__global__ void __launch_bounds__(Engine<kConsumers, kTails>::kThreads, 1)
    fused_moe_kernel(const __grid_constant__ FusedMoeArgs a) {
  using E = Engine<kConsumers, kTails>;
  extern __shared__ std::uint8_t smem_raw[];
  typename E::Storage& s = E::storage(smem_raw);
  GridBarrier grid{a.barrier, a.barrier + 1};
  const MoeGeometry& g = a.geometry;
  const RoutingBuffers& r = a.routing;

  stamp_stage(a, FusedStage::kRoute);
  route_phase(a, s.a[0]);
  grid.sync();
  stamp_stage(a, FusedStage::kSort);
  if (blockIdx.x == 0) scan_expert_counts(g, r, reinterpret_cast<int*>(s.a[0]));
  grid.sync();
  const int pairs = g.num_tokens * g.top_k;
  for (int p = blockIdx.x * blockDim.x + threadIdx.x; p < pairs; p += gridDim.x * blockDim.x) scatter_pair(g, r, p);
  E::init(s);
  grid.sync();

  PipelineState state;
  run_roles<E>([&](int role) {
    stamp_stage(a, FusedStage::kGateUp);
    gate_up_phase<E>(a, s, state, role);
    // Down tiles wait for their own rows' gate/up tiles (RoutingBuffers::row_block_done), so CTAs
    // done with gate/up start on down while the last gate/up tiles finish elsewhere.
    if (r.row_block_done == nullptr) grid.sync();
    stamp_stage(a, FusedStage::kDown);
    auto store = [&](const TileCoord& c, const float(&acc)[128], int row_offset, int thread) {
      if constexpr (kConsumers == 2) {
        store_rows_bf16_wide(acc, a.y, g.hidden_stride(), c.row_begin + row_offset, c.rows - row_offset,
                             c.n_block * kBlockNB, g.hidden_stride(), thread);
      } else {
        store_rows_bf16(acc, a.y, g.hidden_stride(), c.row_begin + row_offset, c.rows - row_offset,
                        c.n_block * kBlockNB, g.hidden_stride(), thread);
      }
    };
    if constexpr (E::kTailRows > 0) {
      // A consumer holds output blocks `consumer` and `consumer` + 2 (64 columns each) of the tail.
      auto tail_store = [&](const TileCoord& c, const auto& tail, int consumer, int thread) {
#pragma unroll
        for (int j = 0; j < 2; ++j) {
          store_rows_tail_bf16(tail.block[j], a.y, g.hidden_stride(), c.row_begin + E::kBlockM, c.tail,
                               c.n_block * kBlockNB + (consumer + 2 * j) * kWarpgroupRows, g.hidden_stride(), thread);
        }
      };
      down_phase<E>(a, s, state, role, store, tail_store);
    } else {
      down_phase<E>(a, s, state, role, store);
    }
    grid.sync();
    stamp_stage(a, FusedStage::kCombine);
    if (role > 0) combine_phase<E::kConsumers>(CombineSource{a.y, g.hidden_stride()}, a.geometry, a.routing, a.out);
  });
  stamp_last_cta_out(&a.barrier[2], &a.stage_times->end_ns);
}

// Calls f(kernel, engine) with the instantiation for this geometry and a value of its Engine type:
// the tail engine where tiles carry tails (MoeGeometry::spill), else by tile height. The grid size
// and the launch both come from here, so they always agree on the kernel.
template <typename F>
cudaError_t with_fused_kernel(const MoeGeometry& g, F f) {
  if (g.spill.tail_rows > 0) return f(fused_moe_kernel<2, kMaxTailRows>, Engine<2, kMaxTailRows>{});
  if (g.block_m == 2 * kWarpgroupRows) return f(fused_moe_kernel<2, 0>, Engine<2>{});
  return f(fused_moe_kernel<1, 0>, Engine<1>{});
}

}  // namespace

cudaError_t fused_moe_max_ctas(int device, const MoeGeometry& g, int* num_ctas) {
  return with_fused_kernel(
      g, [&](auto kernel, auto engine) { return max_cooperative_ctas<decltype(engine)>(kernel, device, num_ctas); });
}

cudaError_t launch_fused_moe(const FusedMoeArgs& args, int num_ctas, cudaStream_t stream) {
  return with_fused_kernel(args.geometry, [&](auto kernel, auto engine) {
    return launch_cooperative<decltype(engine)>(kernel, args, num_ctas, stream);
  });
}

}  // namespace moe_kernels
