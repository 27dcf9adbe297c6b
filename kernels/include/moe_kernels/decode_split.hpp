// How the decode kernels split a GEMM over the CTAs (stream-K): the GEMM is one sequence of K
// steps, active expert by expert, output tile by output tile, and CTA c of n takes an equal run
// of it. Plain arithmetic, unit-tested on the CPU.
#pragma once

#include "moe_kernels/host_device.hpp"
#include "moe_kernels/moe_types.hpp"

namespace moe_kernels {

// A CTA's run of a GEMM's K steps: [begin, end) of the sequence.
struct StepRun {
  long long begin;
  long long end;
};

MOE_HOST_DEVICE constexpr StepRun cta_step_run(long long total_steps, long long cta, long long ctas) {
  return {total_steps * cta / ctas, total_steps * (cta + 1) / ctas};
}

// The part of a run inside one output tile: K steps [k_begin, k_end) of tile `tile` of active
// expert `active`.
struct DecodeUnit {
  int active;
  int tile;
  int k_begin;
  int k_end;
};

// The most units a CTA's run can hold: its longest run, ceil(total_steps / ctas) steps, starting
// where it crosses the most tile boundaries (one step short of the end of a tile). Slots of the
// decode kernel's tile timeline (fused_stages.hpp: TileSpan).
MOE_HOST_DEVICE constexpr int units_per_run(long long total_steps, long long ctas, int k_steps) {
  const long long longest = (total_steps + ctas - 1) / ctas;
  return longest == 0 ? 0 : static_cast<int>((longest + k_steps - 2) / k_steps + 1);
}

// The slots a CTA needs in each GEMM of a decode kernel's tile timeline: units_per_run of the
// longer of its two GEMMs, with every pair's expert active. k_columns: K columns a step (kBlockK
// in bf16, kFp8BlockK in FP8).
inline int decode_timeline_units(const MoeGeometry& g, int ctas, int k_columns) {
  const long long pairs = static_cast<long long>(g.num_tokens) * g.top_k;
  const long long active = pairs < g.local_experts ? pairs : g.local_experts;
  const int gate_up_steps = ceil_div(g.hidden, k_columns), down_steps = ceil_div(g.intermediate, k_columns);
  const int gate_up = units_per_run(active * g.gate_up_tiles() * gate_up_steps, ctas, gate_up_steps);
  const int down = units_per_run(active * g.down_tiles() * down_steps, ctas, down_steps);
  return gate_up > down ? gate_up : down;
}

// f(unit) for each tile the run touches, in order.
template <typename F>
MOE_HOST_DEVICE void for_each_unit(StepRun run, int tiles_per_expert, int k_steps, F f) {
  for (long long step = run.begin; step < run.end;) {
    const long long tile = step / k_steps;
    const int k = static_cast<int>(step % k_steps);
    const long long left = run.end - step;
    const int k_end = left < k_steps - k ? k + static_cast<int>(left) : k_steps;
    f(DecodeUnit{static_cast<int>(tile / tiles_per_expert), static_cast<int>(tile % tiles_per_expert), k, k_end});
    step += k_end - k;
  }
}

}  // namespace moe_kernels
