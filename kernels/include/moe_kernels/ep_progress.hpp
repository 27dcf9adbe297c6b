// Where each GPU's expert-parallel fused kernel is, readable by the host while the kernel runs:
// CTA 0 writes its stage into host-mapped memory (posted stores over PCIe, which nothing waits
// on), so that a run stopped by the stuck deadline can say which GPU fell behind and where, and a
// kernel that stops itself on a broken invariant can say which one.
#pragma once

namespace moe_kernels {

enum class EpStage : unsigned {
  kNotStarted = 0,
  kDispatch,        // routing own tokens, writing rows into the owners' windows
  kCountsBarrier,   // waiting for every GPU's rows (first cross-GPU barrier)
  kSort,            // counting and sorting the received rows by expert
  kGateUp,          // gate/up GEMM
  kDown,            // down GEMM, y rows written back to their sources
  kResultsBarrier,  // waiting for every GPU's y rows (second cross-GPU barrier)
  kCombine,         // past both barriers: the weighted sum of own tokens' rows, or finished
};

enum class EpFault : unsigned {
  kNone = 0,
  kSendOverflow,    // a source had more rows for one GPU than the window holds
  kReceivedExpert,  // a received row names an expert this GPU does not own
  kReceivedPair,    // a received row names a (token, slot) its source does not have
};

constexpr int kEpStageCount = static_cast<int>(EpStage::kCombine) + 1;

struct EpKernelProgress {
  unsigned launches;  // kernels begun on this GPU since the implementation was created
  unsigned stage;     // EpStage of CTA 0 in the latest one
  unsigned fault;     // EpFault the kernel stopped on, kNone if it did not
  unsigned padding;
  // The latest launch's timeline on the GPU's %globaltimer: when CTA 0 entered each stage, and
  // when the last CTA finished (read after the launch completes: --profile's stage track).
  unsigned long long stage_start_ns[kEpStageCount];
  unsigned long long end_ns;
};

// Names of the stages on --profile's "fused stages" track.
inline const char* ep_stage_span_name(int stage) {
  switch (static_cast<EpStage>(stage)) {
    case EpStage::kDispatch: return "dispatch";
    case EpStage::kCountsBarrier: return "barrier after dispatch";
    case EpStage::kSort: return "sort received rows";
    case EpStage::kGateUp: return "gate_up_gemm";
    case EpStage::kDown: return "down_gemm + rows back";
    case EpStage::kResultsBarrier: return "barrier after down";
    case EpStage::kCombine: return "combine";
    default: return "";
  }
}

// A debugging aid (MOEBENCH_EP_TRACE=1; host-mapped like the above, one per CTA): each CTA's
// stage and its tile loop, to tell a stuck pipeline from a stuck barrier.
struct TileTrace {
  unsigned num_tiles;  // tiles of the current GEMM phase
  unsigned taken;      // tiles this CTA's producer took in it
  unsigned last_taken;
  unsigned finished[2];  // tiles each consumer warpgroup finished
  unsigned last_finished[2];
  unsigned left[3];  // 1 once the producer, consumer 0, consumer 1 left the phase
};

struct EpCtaTrace {
  unsigned stage;         // EpStage
  unsigned grid_arrived;  // grid barriers this CTA entered in the latest launch
  unsigned grid_left;     // and left
  TileTrace tiles;
};

inline const char* ep_stage_name(unsigned stage) {
  switch (static_cast<EpStage>(stage)) {
    case EpStage::kNotStarted: return "not started";
    case EpStage::kDispatch: return "dispatching its rows";
    case EpStage::kCountsBarrier: return "in the cross-GPU barrier after the dispatch";
    case EpStage::kSort: return "sorting the received rows";
    case EpStage::kGateUp: return "in the gate/up GEMM";
    case EpStage::kDown: return "in the down GEMM";
    case EpStage::kResultsBarrier: return "in the cross-GPU barrier after the down GEMM";
    case EpStage::kCombine: return "past both cross-GPU barriers (combining or finished)";
  }
  return "in an unknown stage";
}

inline const char* ep_fault_name(unsigned fault) {
  switch (static_cast<EpFault>(fault)) {
    case EpFault::kNone: return "";
    case EpFault::kSendOverflow: return "more rows for one GPU than its window holds";
    case EpFault::kReceivedExpert: return "a received row names an expert this GPU does not own";
    case EpFault::kReceivedPair: return "a received row names a (token, slot) its source does not have";
  }
  return "an unknown broken invariant";
}

}  // namespace moe_kernels
