// Plain types shared by the kernels and their host launchers: the layer geometry on one device,
// router parameters, and the device buffers routing produces. No CUDA headers needed.
#pragma once

#include <cstdint>

#include "moe_kernels/host_device.hpp"

namespace moe_kernels {

constexpr int kWarpgroupRows = 64;  // token rows per consumer warpgroup (the wgmma M)
constexpr int kMaxBlockM = 128;     // token rows per tile with two consumer warpgroups
constexpr int kBlockK = 64;         // reduction columns per pipeline stage (128 bytes of bf16)
constexpr int kBlockNB = 256;       // weight rows per tile: the wgmma N
constexpr int kGateUpBlock = 128;   // intermediate columns per GEMM1 tile (gate half + up half = 256 rows)
constexpr int kProducerThreads = 128;
// Token rows a full 128-row tile may carry past its 128 (SpillRule), multiplied as
// the wgmma N with the weights as M (tile_pipeline.cuh).
constexpr int kMaxTailRows = 32;

MOE_HOST_DEVICE constexpr int round_up(int value, int multiple) { return (value + multiple - 1) / multiple * multiple; }
MOE_HOST_DEVICE constexpr int ceil_div(int value, int divisor) { return (value + divisor - 1) / divisor; }

// What becomes of an expert's rows past its last multiple of block_m (its spill): its last
// `carriers` full row blocks (all of them if it has fewer) carry it, spread evenly, as tails of
// at most tail_rows rows each; where that does not fit, the spill is a row block of its own.
struct SpillRule {
  int tail_rows = 0;  // 0 (no tails) or up to kMaxTailRows
  int carriers = 1;
};

// How many of an expert's row blocks carry its spill: 0 where it has no spill or it is a block of its own.
MOE_HOST_DEVICE constexpr int spill_carriers(int rows, int block_m, SpillRule rule) {
  const int full = rows / block_m, spill = rows % block_m;
  const int carriers = full < rule.carriers ? full : rule.carriers;
  return carriers > 0 && spill > 0 && (spill + carriers - 1) / carriers <= rule.tail_rows ? carriers : 0;
}

// Row blocks (tiles along M) of an expert with `rows` rows: its full ones where they carry the
// spill, else ceil(rows / block_m).
MOE_HOST_DEVICE constexpr int expert_row_blocks(int rows, int block_m, SpillRule rule) {
  return spill_carriers(rows, block_m, rule) > 0 ? rows / block_m : ceil_div(rows, block_m);
}

// Row block `row_block` of an expert: its first row within the expert, its rows (at most
// block_m) and the tail rows its tile carries right after them.
struct RowBlockRows {
  int offset;
  int rows;
  int tail;
};
MOE_HOST_DEVICE constexpr RowBlockRows row_block_rows(int expert_rows, int row_block, int block_m, SpillRule rule) {
  const int carriers = spill_carriers(expert_rows, block_m, rule);
  const int first_carrier = expert_rows / block_m - carriers;
  if (carriers == 0 || row_block < first_carrier) {
    const int offset = row_block * block_m, left = expert_rows - offset;
    return {offset, left < block_m ? left : block_m, 0};
  }
  const int spill = expert_rows % block_m, c = row_block - first_carrier;
  const int each = spill / carriers, extra = spill % carriers;  // the first `extra` carriers take one more
  const int before = c * each + (c < extra ? c : extra);
  return {row_block * block_m + before, block_m, each + (c < extra ? 1 : 0)};
}

// The layer as one device sees it. Rows of x, h and y are padded to multiples of 8 elements
// (16 bytes, the TMA stride granule); the padding of x is zero.
struct MoeGeometry {
  int num_tokens = 0;  // tokens this device routes
  int top_k = 0;
  int num_experts = 0;    // all experts (router width)
  int expert_begin = 0;   // first expert this device owns
  int local_experts = 0;  // experts this device owns
  int hidden = 0;         // H
  int intermediate = 0;   // I of this device's slice

  MOE_HOST_DEVICE int hidden_stride() const { return round_up(hidden, 8); }
  MOE_HOST_DEVICE int intermediate_stride() const { return round_up(intermediate, 8); }
  MOE_HOST_DEVICE int max_pairs() const { return num_tokens * top_k; }
  // Token rows per tile: 64 (one consumer warpgroup) or 128 (two), chosen by the launcher.
  int block_m = kWarpgroupRows;
  // Tails only with 128-row tiles (chosen by the launcher; heuristics.hpp).
  SpillRule spill;
  MOE_HOST_DEVICE int row_blocks(int rows) const { return expert_row_blocks(rows, block_m, spill); }
  // GEMM1 tiles per expert row block along I, and GEMM2 tiles along H.
  MOE_HOST_DEVICE int gate_up_tiles() const { return ceil_div(intermediate, kGateUpBlock); }
  MOE_HOST_DEVICE int down_tiles() const { return ceil_div(hidden, kBlockNB); }
};

// ---- FP8 (docs/fp8.md): e4m3 values with a scale per 128 channels of an activation row and per
// 128 x 128 block of a weight matrix (DeepSeek-V3's recipe).
constexpr int kFp8Group = 128;   // channels per activation scale, and the side of a weight block
constexpr int kFp8BlockK = 128;  // e4m3 reduction columns per pipeline stage: 128 bytes, one group
constexpr int kFp8BlockM = 128;  // token rows per FP8 tile (fp8_pipeline.cuh: 64 per consumer)

MOE_HOST_DEVICE constexpr int fp8_groups(int n) { return ceil_div(n, kFp8Group); }
// A TMA box must start at a 16-byte aligned global address (else the copy faults with an illegal
// instruction), and an expert's first row is any row: so a box of f32 scales starts at its first
// row rounded down to a multiple of 4 and is kScaleBoxSlack rows taller than the rows it serves,
// which the reader finds scale_box_shift(row) words in.
constexpr int kScaleBoxSlack = 4;
MOE_HOST_DEVICE constexpr int scale_box_first_row(int row) { return row & ~(kScaleBoxSlack - 1); }
MOE_HOST_DEVICE constexpr int scale_box_shift(int row) { return row & (kScaleBoxSlack - 1); }
// A shared-memory slot for such a box: kScaleBoxSlack more words, rounded up to 128 bytes (the
// alignment a TMA destination keeps).
MOE_HOST_DEVICE constexpr int scale_box_slot_words(int rows) { return round_up(rows + kScaleBoxSlack, 32); }
// Bytes of a row of n codes as stored: the TMA stride granule.
MOE_HOST_DEVICE constexpr int fp8_codes_stride(int n) { return round_up(n, 16); }

// Activation rows for a TMA-fed GEMM: codes (rows codes_stride bytes apart, zero past the width)
// and the scales transposed, (groups, scale_stride) f32, so that one group's scales of a tile's
// rows are one contiguous TMA box.
struct Fp8Rows {
  std::uint8_t* codes = nullptr;
  int codes_stride = 0;
  float* scales = nullptr;
  int scale_stride = 0;  // rows, rounded up to a multiple of 4 (16 bytes)
};

// Activation rows packed for a gather: row r's codes (codes_bytes, zero past the width), then its
// group scales (f32); rows row_bytes apart. A producer thread that has a row's address has its
// scales too.
struct Fp8PackedRows {
  std::uint8_t* data = nullptr;
  int codes_bytes = 0;
  int row_bytes = 0;

  // Rows of `width` channels at `data`: codes_bytes fp8_codes_stride(width), the scales after them
  // padded to 16 bytes.
  static MOE_HOST_DEVICE constexpr Fp8PackedRows of_width(std::uint8_t* data, int width) {
    return {data, fp8_codes_stride(width), fp8_codes_stride(width) + round_up(fp8_groups(width) * 4, 16)};
  }
};

// The weights' scales, each a checkpoint's weight_scale_inv of the (out = N, in = K) matrix:
// (E, ceil(N / 128), ceil(K / 128)) f32.
struct Fp8WeightScales {
  const float* gate = nullptr;  // N = I, K = H
  const float* up = nullptr;
  const float* down = nullptr;  // N = H, K = I
};

struct RouterParams {
  int num_experts = 0;
  int top_k = 0;
  bool sigmoid = false;  // scoring function: softmax (false) or sigmoid
  bool renormalize = true;
  int num_groups = 1;
  int topk_groups = 1;
  int group_score_top = 1;
  float routed_scaling_factor = 1.0f;
};

// Device buffers of the routing and permutation steps, sized for max_pairs() and local_experts.
struct RoutingBuffers {
  std::int32_t* topk_ids = nullptr;             // (T, k)
  float* topk_weights = nullptr;                // (T, k)
  std::int32_t* expert_counts = nullptr;        // (local_experts), zero between iterations
  std::int32_t* expert_cursor = nullptr;        // (local_experts)
  std::int32_t* expert_offsets = nullptr;       // (local_experts + 1): first sorted row of each expert
  std::int32_t* gate_up_tile_prefix = nullptr;  // (local_experts + 1): first GEMM1 tile of each expert, in tile order
  std::int32_t* down_tile_prefix = nullptr;     // (local_experts + 1), likewise
  std::int32_t* sorted_token = nullptr;         // (T*k): token of each sorted row
  float* sorted_weight = nullptr;               // (T*k): routing weight of each sorted row
  std::int32_t* pair_row = nullptr;             // (T*k): sorted row of each (token, slot)
  std::int32_t* tile_counters = nullptr;        // (2): next gate/up tile, next down tile; reset by the scan
  // Optional (the one-GPU fused kernel): per (expert, row block), in tile order, the gate/up tiles'
  // consumer warpgroups that have written their h rows; zeroed by the scan. A down tile waits
  // for its row block's count instead of a grid barrier between the two GEMMs.
  std::int32_t* row_block_done = nullptr;
  // Optional (the one-GPU fused kernel): (local_experts), the expert at each position of the
  // GEMM phases' tile order, written by the scan: by descending rows, so that a phase's last
  // round holds its shortest tiles. Null: the experts' own order.
  std::int32_t* expert_order = nullptr;
};

}  // namespace moe_kernels
