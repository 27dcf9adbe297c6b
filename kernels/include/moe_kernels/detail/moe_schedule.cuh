// Routing bookkeeping on the device: per-expert counts to offsets and tile prefixes, scatter of
// (token, slot) pairs into expert order, and the map from a flat tile index to its coordinates.
#pragma once

#include <cstdint>

#include "moe_kernels/moe_types.hpp"

namespace moe_kernels {

// Values other CTAs of the same persistent launch wrote are read from L2 (__ldcg), never from a
// possibly stale L1 line.

// One thread block: offsets[e] = sum of counts before e (rows stay grouped in expert order); the
// tile order; tile prefixes over it, row_blocks(count) * tiles_per_row_block per expert; counts
// and cursors reset for the next iteration. The tile order is the experts' own unless
// r.expert_order is set: then it is by descending rows (ties by index), so that each phase hands
// out its longest tiles first and ends on its shortest. `scratch` holds blockDim.x + 2 *
// local_experts ints of shared memory (scan_scratch_ints): the counts are read from L2 once, in
// parallel, the scan's loops then run on shared memory.
__device__ __forceinline__ void scan_expert_counts(const MoeGeometry& g, const RoutingBuffers& r, int* scratch) {
  const int E = g.local_experts;
  const bool ordered = r.expert_order != nullptr;
  int* const counts = scratch + blockDim.x;
  int* const order = counts + E;
  for (int e = threadIdx.x; e < E; e += blockDim.x) counts[e] = __ldcg(&r.expert_counts[e]);
  __syncthreads();
  if (ordered) {
    for (int e = threadIdx.x; e < E; e += blockDim.x) {
      int position = 0;
      for (int other = 0; other < E; ++other)
        position += counts[other] > counts[e] || (counts[other] == counts[e] && other < e) ? 1 : 0;
      order[position] = e;
      r.expert_order[position] = e;
    }
    __syncthreads();
  }
  auto expert_at = [&](int position) { return ordered ? order[position] : position; };
  const int per_thread = (E + blockDim.x - 1) / blockDim.x;
  const int first = threadIdx.x * per_thread;
  const int last = min(E, first + per_thread);
  // Exclusive scan of a per-thread total through shared memory.
  auto exclusive_scan = [&](int value) {
    scratch[threadIdx.x] = value;
    __syncthreads();
    for (int step = 1; step < static_cast<int>(blockDim.x); step *= 2) {
      const int add = threadIdx.x >= step ? scratch[threadIdx.x - step] : 0;
      __syncthreads();
      scratch[threadIdx.x] += add;
      __syncthreads();
    }
    const int inclusive = scratch[threadIdx.x];
    __syncthreads();
    return inclusive - value;
  };
  // Tile prefixes, over positions of the tile order.
  int gate_up = 0, down = 0;
  for (int p = first; p < last; ++p) {
    const int blocks = g.row_blocks(counts[expert_at(p)]);
    gate_up += blocks * g.gate_up_tiles();
    down += blocks * g.down_tiles();
  }
  int gate_up_at = exclusive_scan(gate_up), down_at = exclusive_scan(down);
  for (int p = first; p < last; ++p) {
    const int blocks = g.row_blocks(counts[expert_at(p)]);
    r.gate_up_tile_prefix[p] = gate_up_at;
    r.down_tile_prefix[p] = down_at;
    gate_up_at += blocks * g.gate_up_tiles();
    down_at += blocks * g.down_tiles();
  }
  // Row offsets, over experts; the counts are read for the last time here.
  int rows = 0;
  for (int e = first; e < last; ++e) rows += counts[e];
  int row_at = exclusive_scan(rows);
  for (int e = first; e < last; ++e) {
    r.expert_offsets[e] = row_at;
    row_at += counts[e];
    r.expert_counts[e] = 0;
    r.expert_cursor[e] = 0;
  }
  if (last == E && first < last) {
    r.expert_offsets[E] = row_at;
    r.gate_up_tile_prefix[E] = gate_up_at;
    r.down_tile_prefix[E] = down_at;
  }
  if (E == 0 && threadIdx.x == 0) {
    r.expert_offsets[0] = r.gate_up_tile_prefix[0] = r.down_tile_prefix[0] = 0;
  }
  if (threadIdx.x == 0) r.tile_counters[0] = r.tile_counters[1] = 0;
  if (r.row_block_done != nullptr) {
    __syncthreads();  // the last expert's thread wrote the total
    const int row_blocks = r.gate_up_tile_prefix[E] / max(1, g.gate_up_tiles());
    for (int i = threadIdx.x; i < row_blocks; i += blockDim.x) r.row_block_done[i] = 0;
  }
}

// Shared-memory ints scan_expert_counts needs with `threads` threads.
MOE_HOST_DEVICE constexpr int scan_scratch_ints(int threads, int local_experts) { return threads + 2 * local_experts; }

// Places pair p = t * k + j (routed to a local expert) at its sorted row.
__device__ __forceinline__ void scatter_pair(const MoeGeometry& g, const RoutingBuffers& r, int pair) {
  const int expert = __ldcg(&r.topk_ids[pair]) - g.expert_begin;
  if (expert < 0 || expert >= g.local_experts) {
    r.pair_row[pair] = -1;
    return;
  }
  const int row = __ldcg(&r.expert_offsets[expert]) + atomicAdd(&r.expert_cursor[expert], 1);
  r.sorted_token[row] = pair / g.top_k;
  r.sorted_weight[row] = __ldcg(&r.topk_weights[pair]);
  r.pair_row[pair] = row;
}

struct TileCoord {
  int expert;     // local expert
  int row_begin;  // first sorted row of the tile
  int rows;       // valid rows, at most block_m
  int tail;       // rows past block_m the tile carries (SpillRule), from row_begin + block_m
  int n_block;    // block along the output dimension
  int row_block;  // (expert, row block) in tile order, over all experts
};

// Tile `tile` of a phase whose tiles are laid out expert by expert (in the tile order: `order`,
// or the experts' own where it is null), then output block by output block (n_blocks of them),
// then row block: the row blocks that share a weight tile are neighbours, run at the same time,
// and read that weight tile from HBM once. `prefix` (by position in the tile order), `order` and
// `offsets` (by expert) are in global memory (kFromL2) or a copy in shared memory. An expert's
// full row blocks may carry its rows past the last multiple of block_m (SpillRule,
// row_block_rows).
template <bool kFromL2>
__device__ __forceinline__ TileCoord decode_tile(int tile, const std::int32_t* prefix, const std::int32_t* order,
                                                 const std::int32_t* offsets, int local_experts, int block_m,
                                                 SpillRule spill, int n_blocks) {
  auto load = [](const std::int32_t* p) { return kFromL2 ? __ldcg(p) : *p; };
  int lo = 0, hi = local_experts - 1;  // last position whose prefix <= tile
  while (lo < hi) {
    const int mid = (lo + hi + 1) / 2;
    if (load(&prefix[mid]) <= tile) lo = mid;
    else hi = mid - 1;
  }
  const int expert_first_tile = load(&prefix[lo]);
  const int local = tile - expert_first_tile;
  const int expert = order != nullptr ? load(&order[lo]) : lo;
  const int first_row = load(&offsets[expert]);
  const int expert_rows = load(&offsets[expert + 1]) - first_row;
  const int row_blocks = expert_row_blocks(expert_rows, block_m, spill);
  const int row_block = local % row_blocks;
  const RowBlockRows rows = row_block_rows(expert_rows, row_block, block_m, spill);
  TileCoord c;
  c.expert = expert;
  c.row_begin = first_row + rows.offset;
  c.rows = rows.rows;
  c.tail = rows.tail;
  c.n_block = local / row_blocks;
  c.row_block = expert_first_tile / n_blocks + row_block;
  return c;
}

// A tile as the producer hands it to the consumers: its index in the phase (num_tiles or more
// ends the phase) and, for a real tile, its coordinates.
struct ScheduledTile {
  int tile;
  TileCoord coord;
};

// Entries (local experts + 1) of the tile prefix and expert offsets a CTA keeps in shared memory
// for decoding; phases with more experts decode from L2.
constexpr int kScheduleCacheEntries = 520;

}  // namespace moe_kernels
