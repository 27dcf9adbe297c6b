// The one-GPU fused kernel's own timeline, for --profile's stage track and --verbose: CTA 0
// stamps the start of each phase on %globaltimer into host-mapped memory (posted stores over
// PCIe that nothing waits on), and the last CTA out stamps the end.
#pragma once

namespace moe_kernels {

enum class FusedStage : unsigned {
  kRoute = 0,  // router top-k and per-expert counts
  kSort,       // scan of the counts, scatter of (token, slot) pairs into expert order
  kGateUp,     // gate/up GEMM with the activation
  kDown,       // down GEMM
  kCombine,    // weighted sum of each token's rows
};

constexpr int kFusedStageCount = static_cast<int>(FusedStage::kCombine) + 1;

struct FusedStageTimes {
  unsigned long long start_ns[kFusedStageCount];  // when CTA 0 entered each phase of the latest launch
  unsigned long long end_ns;                      // when its last CTA finished
};

// With MOEBENCH_TILE_TIMELINE (src/cuda/single_gpu/tile_timeline.hpp), each GEMM tile as consumer warpgroup 0 of
// its CTA saw it: from its wait for the tile's first stage to the end of its epilogue, with the
// end of its mainloop (its last wgmma done) in between. The tiled kernels index spans by tile
// within the phase (tiles never handed out stay zero); the decode kernel by CTA and the unit's
// place in the CTA's run (decode_split.hpp: units_per_run slots a CTA), a unit being the part of
// the CTA's run of K steps that falls in one output tile. With the decode kernels' hand-off
// (decode_handoff.cuh) the consumers' span ends at the unit's post, and finished_ns is when the
// finishers were done with it (its counters, and what they handed the CTA); 0 elsewhere.
struct TileSpan {
  unsigned long long start_ns;
  unsigned long long mainloop_end_ns;
  unsigned long long end_ns;
  int cta;
  int expert;  // local expert
  int rows;    // token rows of the tile
  int n_block;
  int k_steps;  // K steps it multiplied: all of K in the tiled kernels, a unit's share in the decode kernel
  unsigned long long finished_ns;
};

inline const char* fused_stage_span_name(int stage) {
  switch (static_cast<FusedStage>(stage)) {
    case FusedStage::kRoute: return "route";
    case FusedStage::kSort: return "sort by expert";
    case FusedStage::kGateUp: return "gate_up_gemm";
    case FusedStage::kDown: return "down_gemm";
    case FusedStage::kCombine: return "combine";
    default: return "";
  }
}

}  // namespace moe_kernels
