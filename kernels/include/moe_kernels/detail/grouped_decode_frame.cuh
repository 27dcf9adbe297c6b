// What epmoe's two decode GEMM kernels (sm90_grouped_gemm_decode.cu in bf16,
// sm90_grouped_gemm_fp8_decode.cu in FP8) do around their pipelines: the stage barriers, the
// experts with rows, letting the next kernel of the stream start, the CTA's run of the GEMM's K
// steps, and the role split.
#pragma once

#include <cstdint>

#include "moe_kernels/decode_split.hpp"
#include "moe_kernels/detail/decode_handoff.cuh"
#include "moe_kernels/detail/decode_pipeline.cuh"
#include "moe_kernels/detail/decode_routing.cuh"
#include "moe_kernels/detail/ptx.cuh"
#include "moe_kernels/moe_types.hpp"

namespace moe_kernels {

// Storage: the kernel's shared memory (full, empty, routes, handoff). k_columns: the K columns of a
// step. producer, finishers and consumer take (run, tiles, k_steps): the CTA's run of the GEMM's
// K steps, its output tiles per expert and K steps per tile. kFullArrivals: the arrivals a full
// barrier waits for; the register split: kProducerRegisters, kConsumerRegisters.
template <bool kGateUp, int kProducerRegisters, int kConsumerRegisters, int kFullArrivals, typename Storage,
          typename Producer, typename Finishers, typename Consumer>
__device__ __forceinline__ void run_grouped_decode(Storage& s, const MoeGeometry& g, const std::int32_t* expert_offsets,
                                                   int k_columns, Producer producer, Finishers finishers,
                                                   Consumer consumer) {
  if (threadIdx.x == 0) init_decode_barriers<kFullArrivals>(s);
  // The offsets come from the scan kernel, two or three launches back: complete once this grid
  // runs, since each kernel between waited for its own predecessor before letting this one start.
  load_active_experts(expert_offsets, g.local_experts, s.routes);
  ptx::launch_dependent_grids();
  const int tiles = kGateUp ? g.gate_up_tiles() : g.down_tiles();
  const int k_steps = ceil_div(kGateUp ? g.hidden : g.intermediate, k_columns);
  const StepRun run = cta_run(static_cast<long long>(s.routes.num_active) * tiles * k_steps);
  run_decode_roles<kProducerRegisters, kConsumerRegisters>([&] { producer(run, tiles, k_steps); },
                                                           [&] { finishers(run, tiles, k_steps); },
                                                           [&] { consumer(run, tiles, k_steps); });
}

}  // namespace moe_kernels
