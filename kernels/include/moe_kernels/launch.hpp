// Host launchers of the MoE kernels: raw device pointers, sizes, a stream; they return the CUDA
// status and never print. One family per source file in kernels/src.
#pragma once

#include <cstdint>
#include <cuda.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include "moe_kernels/activation.hpp"
#include "moe_kernels/combine_source.hpp"
#include "moe_kernels/decode_limits.hpp"
#include "moe_kernels/ep_progress.hpp"
#include "moe_kernels/expert_parallel_window.hpp"
#include "moe_kernels/fused_stages.hpp"
#include "moe_kernels/moe_types.hpp"

struct ncclDevComm;

namespace moe_kernels {

// How a kernel of the epmoe pipeline joins its stream: after the previous kernel has finished
// (kSerial), or with programmatic dependent launch (kOverlapPrologue): its CTAs start as the
// previous kernel's CTAs finish and do what needs none of its results (shared memory set-up, the
// first weight loads) before waiting for it.
enum class StreamOrder { kSerial, kOverlapPrologue };

// ---- moe_routing.cu: the epmoe pipeline's routing and permutation kernels ----------------------

// topk_ids/weights for every token and per-expert counts (which must be zero on entry).
cudaError_t launch_route_and_count(const float* logits, const MoeGeometry& g, const RouterParams& p,
                                   const RoutingBuffers& r, cudaStream_t stream,
                                   StreamOrder order = StreamOrder::kSerial);
// Offsets and tile prefixes from the counts; resets counts and cursors.
cudaError_t launch_scan_experts(const MoeGeometry& g, const RoutingBuffers& r, cudaStream_t stream,
                                StreamOrder order = StreamOrder::kSerial);
// Sorted rows: token, weight, and each pair's row.
cudaError_t launch_scatter_pairs(const MoeGeometry& g, const RoutingBuffers& r, cudaStream_t stream,
                                 StreamOrder order = StreamOrder::kSerial);
// What the three launches above leave for the decode GEMMs, the permutes and the unpermute
// (topk ids and weights, expert offsets, sorted rows, each pair's row), in one launch of one CTA
// that routes every token with the fused decode kernels' routing (decode_routing.cuh). The counts
// and cursors stay zero; the tile prefixes and tile counters, which only the tiled GEMMs read,
// are left as they are. For geometries route_in_cta_fits accepts (heuristics.hpp).
cudaError_t launch_route_and_sort_in_cta(const float* logits, const MoeGeometry& g, const RouterParams& p,
                                         const RoutingBuffers& r, cudaStream_t stream,
                                         StreamOrder order = StreamOrder::kSerial);
// permuted_x[row] = x[sorted_token[row]] for every sorted row.
cudaError_t launch_permute_rows(const __nv_bfloat16* x, const MoeGeometry& g, const RoutingBuffers& r,
                                __nv_bfloat16* permuted_x, cudaStream_t stream,
                                StreamOrder order = StreamOrder::kSerial);
// out[t] = sum_j w[t,j] * sum_p y_p[row(t,j)] (bf16 out with rows of g.hidden, f32 sum), the rows
// and partial sums where `src` says.
cudaError_t launch_unpermute(const CombineSource& src, const MoeGeometry& g, const RoutingBuffers& r,
                             __nv_bfloat16* out, cudaStream_t stream, StreamOrder order = StreamOrder::kSerial);

// ---- moe_dispatch.cu: epmoe's expert-parallel bookkeeping -----------------------------------------

// A device's rows received by the EP dispatch lie source by source, each source's rows sorted by
// expert as that source's expert offsets say (all_offsets[s * (num_experts + 1) + e], gathered
// from every source). Labels received row i with its expert (topk_ids[i], weight 1: the geometry
// has top_k 1 and num_tokens = rows received) and counts rows per local expert.
cudaError_t launch_label_received_rows(const std::int32_t* all_offsets, int num_sources, const MoeGeometry& g,
                                       const RoutingBuffers& r, cudaStream_t stream);

// ---- sm90_grouped_gemm.cu: epmoe's grouped GEMMs (persistent, TMA + wgmma) ------------------------

struct GroupedGemmMaps {
  CUtensorMap a;     // 2D (K, rows): permuted_x for gate/up, h for down
  CUtensorMap b;     // 3D (K, rows, expert): gate weights, or down weights
  CUtensorMap b_up;  // 3D: up weights (gate/up GEMM only)
};

// h[row] = act(permuted_x[row] . W_gate[e]^T, permuted_x[row] . W_up[e]^T), e the row's expert.
// Tiles of geometry.block_m rows; the A map's box must have that many rows.
cudaError_t launch_grouped_gate_up(const GroupedGemmMaps& maps, const MoeGeometry& g, const RoutingBuffers& r,
                                   Activation act, __nv_bfloat16* h, int num_ctas, cudaStream_t stream,
                                   StreamOrder order = StreamOrder::kSerial);
// y[row] = h[row] . W_down[e]^T.
cudaError_t launch_grouped_down(const GroupedGemmMaps& maps, const MoeGeometry& g, const RoutingBuffers& r,
                                __nv_bfloat16* y, int num_ctas, cudaStream_t stream,
                                StreamOrder order = StreamOrder::kSerial);
// The same two GEMMs on the clustered engine (tile_pipeline.cuh: Engine<2, 0, 2>; 128-row tiles
// only): clusters of two CTAs, as many as fit at once, that multicast the halves of each weight
// tile they share. b_halves: the down weights (maps.b's tensor) in boxes of 128 rows.
cudaError_t launch_grouped_gate_up_clustered(const GroupedGemmMaps& maps, const MoeGeometry& g, const RoutingBuffers& r,
                                             Activation act, __nv_bfloat16* h, cudaStream_t stream,
                                             StreamOrder order = StreamOrder::kSerial);
cudaError_t launch_grouped_down_clustered(const GroupedGemmMaps& maps, const CUtensorMap& b_halves,
                                          const MoeGeometry& g, const RoutingBuffers& r, __nv_bfloat16* y,
                                          cudaStream_t stream, StreamOrder order = StreamOrder::kSerial);

// ---- sm90_grouped_gemm_decode.cu: epmoe's grouped GEMMs for up to 64 tokens ---------------------

// The decode GEMMs' f32 partial sums and per-tile counters, zero at allocation; the kernels leave
// them zero.
struct GroupedDecodeWorkspace {
  float* partial;       // (T*k, grouped_decode_partial_columns)
  int* tile_steps;      // (local_experts, output tiles): K steps done
  DecodeFinish finish;  // who counts the steps and reads the sums back (decode_limits.hpp)
};

// A row of GroupedDecodeWorkspace::partial: gate/up, the gate and the up sums of each 128-column
// tile (2 * I padded to kGateUpBlock); down, H.
MOE_HOST_DEVICE constexpr int grouped_decode_partial_columns(bool gate_up, const MoeGeometry& g) {
  return gate_up ? 2 * g.gate_up_tiles() * kGateUpBlock : g.hidden;
}

// h[row] = act(gate, up) as launch_grouped_gate_up, for use_decode_kernel geometries: every CTA
// streams an equal share of the experts' K steps (decode_pipeline.cuh). maps.a: 2D over the
// permuted x, box kDecodeMaxTokens rows.
cudaError_t launch_grouped_gate_up_decode(const GroupedGemmMaps& maps, const MoeGeometry& g, const RoutingBuffers& r,
                                          Activation act, __nv_bfloat16* h, const GroupedDecodeWorkspace& workspace,
                                          int num_ctas, cudaStream_t stream, StreamOrder order = StreamOrder::kSerial);
// y[row] = h[row] . W_down[e]^T likewise; maps.a over h, box kDecodeMaxTokens rows.
cudaError_t launch_grouped_down_decode(const GroupedGemmMaps& maps, const MoeGeometry& g, const RoutingBuffers& r,
                                       __nv_bfloat16* y, const GroupedDecodeWorkspace& workspace, int num_ctas,
                                       cudaStream_t stream, StreamOrder order = StreamOrder::kSerial);

// ---- sm90_fused_moe.cu: the fused persistent kernel ------------------------------------------------

struct FusedMoeArgs {
  const __nv_bfloat16* x;  // (T, hidden_stride), padding zero
  const float* logits;     // (T, E)
  CUtensorMap w13;         // 3D (H, 2 * I padded to kGateUpBlock, local experts), gate/up interleaved by kGateUpBlock
  CUtensorMap w2;          // 3D (I, H, local experts)
  CUtensorMap h_map;       // 2D (I, T*k) over h, box rows = geometry.block_m
  CUtensorMap h_tail_map;  // the same in boxes of kMaxTailRows rows: tiles' tails (MoeGeometry::tail_rows)
  __nv_bfloat16* h;        // (T*k, intermediate_stride) workspace
  __nv_bfloat16* y;        // (T*k, hidden_stride) workspace
  __nv_bfloat16* out;      // (T, H)
  unsigned int* barrier;   // 3 words, zero at allocation: grid barrier, CTAs out
  FusedStageTimes* stage_times;  // host-mapped: the latest launch's phases (fused_stages.hpp)
  TileSpan* tile_spans;          // null, or (2, tile_span_capacity): each GEMM tile's span (fused_stages.hpp)
  int tile_span_capacity;
  RoutingBuffers routing;
  MoeGeometry geometry;
  RouterParams router;
  Activation activation;
};

// One cooperative launch: routing, scatter, gate/up GEMM with gathered rows, activation, down
// GEMM, weighted combine into the bf16 output, separated by grid barriers. The tile height is
// args.geometry.block_m (64 or 128).
cudaError_t launch_fused_moe(const FusedMoeArgs& args, int num_ctas, cudaStream_t stream);
// Largest grid the fused kernel for this geometry (tile height, tails) can keep resident (1 CTA per
// SM).
cudaError_t fused_moe_max_ctas(int device, const MoeGeometry& g, int* num_ctas);

// ---- sm90_fused_moe_decode.cu: the fused kernel for up to 64 tokens ------------------------------

struct FusedMoeDecodeArgs {
  const __nv_bfloat16* x;        // (T, hidden_stride), padding zero
  const float* logits;           // (T, E)
  CUtensorMap w13;               // as FusedMoeArgs::w13
  CUtensorMap w2;                // as FusedMoeArgs::w2
  CUtensorMap h_map;             // 2D (I, T*k) over h, box rows kDecodeMaxTokens
  __nv_bfloat16* h;              // (T*k, intermediate_stride) workspace
  float* gate_up_partial;        // (T*k, 2 * I padded to kGateUpBlock), zero between launches
  float* out_partial;            // (T, H), zero between launches
  int* counters;                 // DecodeCounters (decode_limits.hpp), zero at allocation
  __nv_bfloat16* out;            // (T, H)
  FusedStageTimes* stage_times;  // host-mapped: the latest launch's phases, as CTA 0 saw them
  MoeGeometry geometry;
  RouterParams router;
  Activation activation;
  // null, or (2 GEMMs, CTAs, tile_span_units): each unit's span (fused_stages.hpp), by CTA and
  // the unit's place in the CTA's run; tile_span_units: units_per_run (decode_split.hpp) of the
  // longer GEMM.
  TileSpan* tile_spans;
  int tile_span_units;
  // Once a CTA has issued its gate/up loads, the weights of its first prefetch_down_steps down K
  // steps are prefetched into L2 (0: none), so that they stream while its ring is still full of
  // gate/up stages and while the experts' h is finished elsewhere.
  int prefetch_down_steps;
  DecodeFinish finish;  // who finishes each unit (decode_limits.hpp)
};

// One cooperative launch of the decode kernel: every CTA routes every token, then streams an
// equal share of the gate/up and of the down GEMM's K steps (decode_pipeline.cuh). For
// use_decode_kernel geometries (heuristics.hpp).
cudaError_t launch_fused_moe_decode(const FusedMoeDecodeArgs& args, int num_ctas, cudaStream_t stream);
// Its grid: one CTA per SM.
cudaError_t fused_moe_decode_max_ctas(int device, int* num_ctas);

// ---- FP8 (docs/fp8.md): block-scaled e4m3, the weights in 128 x 128 blocks, the activations
// per token per 128 channels; outputs in bf16 -------------------------------------------------------

// ---- sm90_fused_moe_fp8.cu: the fused kernel in FP8 ----------------------------------------------

struct FusedMoeFp8Args {
  const __nv_bfloat16* x;  // (T, hidden_stride), padding zero: the kernel quantizes it
  const float* logits;     // (T, E)
  Fp8PackedRows x_fp8;     // (T) packed rows: x in e4m3, written by each launch
  // e4m3 3D (H, 2 * I padded to kGateUpBlock, local experts): the fused layout interleaved by 64
  // (gate 64 rows, up 64 rows, ...), so that each consumer's quarters of a tile are one gate and
  // one up block of the same 64 columns (fp8_pipeline.cuh); box rows 256.
  CUtensorMap w13;
  CUtensorMap w2;           // e4m3 3D (I, H, local experts)
  Fp8WeightScales scales;   // gate, up and down blocks (w13's tile n: gate block n, up block n)
  Fp8Rows h;                // (T*k) rows of I: the activation in e4m3
  CUtensorMap h_map;        // e4m3 2D (I, T*k) over h.codes, box rows kFp8BlockM
  CUtensorMap h_scale_map;  // f32 2D (T*k, groups) over h.scales, box (kFp8BlockM + kScaleBoxSlack, 1)
  __nv_bfloat16* y;         // (T*k, hidden_stride) workspace
  __nv_bfloat16* out;       // (T, H)
  unsigned int* barrier;    // 3 words, zero at allocation: grid barrier, CTAs out
  FusedStageTimes* stage_times;
  TileSpan* tile_spans;  // null, or (2, tile_span_capacity)
  int tile_span_capacity;
  RoutingBuffers routing;
  MoeGeometry geometry;  // spill: none (FP8 tiles carry no tails)
  RouterParams router;
  Activation activation;
  // x's rows copied into expert order after the scatter, so that the gate/up tiles load A by TMA
  // (the default); codes null: the gate/up tiles gather A from x_fp8 (MOEBENCH_FUSED_FP8_X=gather).
  // Last, so that the other fields keep their offsets.
  Fp8Rows x_sorted;         // (T*k) rows of H: x_fp8's rows in sorted order
  CUtensorMap x_map;        // e4m3 2D (H, T*k) over x_sorted.codes, box rows kFp8BlockM
  CUtensorMap x_scale_map;  // f32 2D (T*k, groups) over x_sorted.scales, box (kFp8BlockM + kScaleBoxSlack, 1)
};

// One cooperative launch, the phases of launch_fused_moe with FP8 GEMMs and x's quantization.
// geometry.block_m must be kFp8BlockM.
cudaError_t launch_fused_moe_fp8(const FusedMoeFp8Args& args, int num_ctas, cudaStream_t stream);
cudaError_t fused_moe_fp8_max_ctas(int device, int* num_ctas);

// ---- sm90_fused_moe_fp8_decode.cu: the fused kernel in FP8 for up to 64 tokens -------------------

struct FusedMoeFp8DecodeArgs {
  const __nv_bfloat16* x;        // (T, hidden_stride), padding zero: the kernel quantizes it
  const float* logits;           // (T, E)
  Fp8Rows x_fp8;                 // (T) rows of H: x in e4m3, written by each launch
  CUtensorMap w13;               // as FusedMoeFp8Args::w13
  CUtensorMap w2;                // as FusedMoeFp8Args::w2
  Fp8WeightScales scales;        // as FusedMoeFp8Args::scales
  Fp8Rows h;                     // (T*k) rows of I: the activation in e4m3
  CUtensorMap h_map;             // e4m3 2D (I, T*k) over h.codes, box rows kDecodeMaxTokens
  CUtensorMap h_scale_map;       // f32 2D (T*k, groups) over h.scales, box (kDecodeMaxTokens, 1)
  float* gate_up_partial;        // (T*k, 2 * I padded to kGateUpBlock), zero between launches
  float* out_partial;            // (T, H), zero between launches
  int* counters;                 // Fp8DecodeCounters (decode_limits.hpp), zero at allocation
  __nv_bfloat16* out;            // (T, H)
  FusedStageTimes* stage_times;  // host-mapped: the latest launch's phases, as CTA 0 saw them
  MoeGeometry geometry;
  RouterParams router;
  Activation activation;
  TileSpan* tile_spans;  // as FusedMoeDecodeArgs::tile_spans (its K steps of 128 columns)
  int tile_span_units;
  DecodeFinish finish;  // who finishes each unit (decode_limits.hpp)
};

// One cooperative launch of the FP8 decode kernel (fp8_decode_pipeline.cuh), for
// use_decode_kernel geometries; its grid is one CTA per SM.
cudaError_t launch_fused_moe_fp8_decode(const FusedMoeFp8DecodeArgs& args, int num_ctas, cudaStream_t stream);
cudaError_t fused_moe_fp8_decode_max_ctas(int device, int* num_ctas);

// ---- sm90_grouped_gemm_fp8.cu, moe_permute_fp8.cu: epmoe in FP8 ----------------------------------

struct GroupedGemmFp8Maps {
  // e4m3 2D (K, rows) over Fp8Rows codes: the permuted x, or h; box rows kFp8BlockM (the tiled
  // GEMMs) or kDecodeMaxTokens (the decode GEMMs)
  CUtensorMap a;
  CUtensorMap a_scales;  // f32 2D (rows, K groups) over its scales, box (those rows + kScaleBoxSlack, 1)
  CUtensorMap b;         // e4m3 3D (K, rows, expert): gate weights (box rows 64), or down weights (256)
  CUtensorMap b_up;      // up weights, box rows 64 (gate/up GEMM only)
};

// permuted[row] = x[sorted_token[row]] quantized per 128 channels, for every sorted row.
cudaError_t launch_permute_quantize_rows(const __nv_bfloat16* x, const MoeGeometry& g, const RoutingBuffers& r,
                                         const Fp8Rows& permuted, cudaStream_t stream,
                                         StreamOrder order = StreamOrder::kSerial);
// Under EP (docs/fp8.md, "Expert parallelism"): the sender's sorted rows quantized into packed
// rows, permuted[row] = quantize(x[sorted_token[row]]), the run of bytes its dispatch sends; the
// receiver's packed rows into the TMA layout, permuted[row] = packed[sorted_token[row]].
cudaError_t launch_permute_quantize_packed_rows(const __nv_bfloat16* x, const MoeGeometry& g, const RoutingBuffers& r,
                                                const Fp8PackedRows& permuted, cudaStream_t stream);
cudaError_t launch_permute_packed_rows(const Fp8PackedRows& packed, const MoeGeometry& g, const RoutingBuffers& r,
                                       const Fp8Rows& permuted, cudaStream_t stream);
// h[row] = quantize(act(gate, up)) of the permuted rows (maps.a over them).
cudaError_t launch_grouped_gate_up_fp8(const GroupedGemmFp8Maps& maps, const Fp8WeightScales& scales,
                                       const MoeGeometry& g, const RoutingBuffers& r, Activation act, const Fp8Rows& h,
                                       int num_ctas, cudaStream_t stream, StreamOrder order = StreamOrder::kSerial);
// y[row] = h[row] . W_down[e]^T in bf16 (maps.a over h).
cudaError_t launch_grouped_down_fp8(const GroupedGemmFp8Maps& maps, const Fp8WeightScales& scales, const MoeGeometry& g,
                                    const RoutingBuffers& r, __nv_bfloat16* y, int num_ctas, cudaStream_t stream,
                                    StreamOrder order = StreamOrder::kSerial);

// The same two GEMMs on the clustered engine (fp8_pipeline.cuh: Fp8EngineT<2>): clusters of two
// CTAs, as many as fit at once, that multicast the halves of each weight tile they share.
// b_halves: the down weights (maps.b's tensor) in boxes of 128 rows.
cudaError_t launch_grouped_gate_up_fp8_clustered(const GroupedGemmFp8Maps& maps, const Fp8WeightScales& scales,
                                                 const MoeGeometry& g, const RoutingBuffers& r, Activation act,
                                                 const Fp8Rows& h, cudaStream_t stream,
                                                 StreamOrder order = StreamOrder::kSerial);
cudaError_t launch_grouped_down_fp8_clustered(const GroupedGemmFp8Maps& maps, const CUtensorMap& b_halves,
                                              const Fp8WeightScales& scales, const MoeGeometry& g,
                                              const RoutingBuffers& r, __nv_bfloat16* y, cudaStream_t stream,
                                              StreamOrder order = StreamOrder::kSerial);

// The same two GEMMs for use_decode_kernel geometries (sm90_grouped_gemm_fp8_decode.cu): every
// CTA streams an equal run of the GEMM's K steps; maps.a and maps.a_scales with boxes of
// kDecodeMaxTokens rows; workspace as GroupedDecodeWorkspace says.
cudaError_t launch_grouped_gate_up_fp8_decode(const GroupedGemmFp8Maps& maps, const Fp8WeightScales& scales,
                                              const MoeGeometry& g, const RoutingBuffers& r, Activation act,
                                              const Fp8Rows& h, const GroupedDecodeWorkspace& workspace, int num_ctas,
                                              cudaStream_t stream, StreamOrder order = StreamOrder::kSerial);
cudaError_t launch_grouped_down_fp8_decode(const GroupedGemmFp8Maps& maps, const Fp8WeightScales& scales,
                                           const MoeGeometry& g, const RoutingBuffers& r, __nv_bfloat16* y,
                                           const GroupedDecodeWorkspace& workspace, int num_ctas, cudaStream_t stream,
                                           StreamOrder order = StreamOrder::kSerial);

// ---- sm90_fused_moe_ep.cu: the fused kernel under expert and tensor parallelism ----------------

struct FusedMoeEpArgs {
  // The gate/up and down GEMMs run over the rows this device received (fused_phases.cuh names).
  const __nv_bfloat16* x;  // = the local window's recv_x
  CUtensorMap w13;         // this device's experts and intermediate slice, fused layout
  CUtensorMap w2;
  CUtensorMap h_map;  // 2D over h, rows = num_devices * source_capacity
  __nv_bfloat16* h;
  MoeGeometry geometry;    // num_tokens/top_k: this device's own tokens; experts, I: its shard
  RoutingBuffers routing;  // topk_*: own tokens; counts, offsets, sorted_token: received rows
  Activation activation;
  // This device's own tokens.
  const __nv_bfloat16* tokens;  // (num_tokens, hidden_stride)
  const float* logits;          // (num_tokens, E)
  RouterParams router;
  std::int32_t* send_count;  // (num_devices / tp_actual): rows sent per EP group, zero between iterations
  __nv_bfloat16* out;        // (num_tokens, H)
  // The exchange.
  ExpertParallelWindow window;
  std::uint8_t* const* peer_window;  // (num_devices): every device's window, as this device addresses it
  const ncclDevComm* dev_comm;       // device copy of the NCCL device communicator (its LSA barrier)
  unsigned int* barrier;             // 4 words, zero at allocation: grid barrier, launches, CTAs out
  EpKernelProgress* progress;        // host-mapped: where CTA 0 is (ep_progress.hpp)
  EpCtaTrace* cta_trace;             // host-mapped, one per CTA, or null: MOEBENCH_EP_TRACE=1
};

// Fills peer_window[0, num_devices) with each rank's window base as this device addresses it
// (NCCL's load/store-accessible mapping over NVLink). `window` is the ncclWindow_t of the buffer.
cudaError_t launch_resolve_peer_windows(void* window, int num_devices, std::uint8_t** peer_window, cudaStream_t stream);
// One cooperative launch per device and iteration: route own tokens and write each (token, slot)
// row into the owning devices' windows; a cross-GPU barrier; count, scan and scatter the received
// rows; gate/up and down GEMMs, each y row written back into its source's window; a cross-GPU
// barrier; the weighted combine of the TP partial sums into out.
cudaError_t launch_fused_moe_ep(const FusedMoeEpArgs& args, int num_ctas, cudaStream_t stream);
cudaError_t fused_moe_ep_max_ctas(int device, int block_m, int* num_ctas);

// ---- sm90_fused_moe_ep_fp8.cu: the expert-parallel fused kernel in FP8 ---------------------------

// FusedMoeEpArgs' exchange around FusedMoeFp8Args' GEMMs: each own token is quantized once into
// own_fp8 and its packed row (codes, then scales: about half of bf16's bytes) is what the dispatch
// stores into the owning devices' windows; the gate/up tiles gather A from the received packed
// rows (x_fp8); y goes back to its source in bf16, as in bf16.
struct FusedMoeEpFp8Args {
  Fp8PackedRows x_fp8;      // the local window's recv_x as packed rows (num_devices * source_capacity)
  Fp8PackedRows own_fp8;    // (num_tokens): this device's tokens quantized, before they are sent
  CUtensorMap w13;          // this device's experts and intermediate slice: FusedMoeFp8Args::w13's layout
  CUtensorMap w2;           // as FusedMoeFp8Args::w2
  Fp8WeightScales scales;   // this device's blocks (slice_fp8_weights)
  Fp8Rows h;                // (num_devices * source_capacity) rows of this device's I: the activation
  CUtensorMap h_map;        // e4m3 2D over h.codes, box rows kFp8BlockM
  CUtensorMap h_scale_map;  // f32 2D over h.scales, box (kFp8BlockM + kScaleBoxSlack, 1)
  MoeGeometry geometry;     // as FusedMoeEpArgs; block_m kFp8BlockM
  RoutingBuffers routing;   // as FusedMoeEpArgs
  Activation activation;
  // This device's own tokens, and the exchange: as FusedMoeEpArgs.
  const __nv_bfloat16* tokens;
  const float* logits;
  RouterParams router;
  std::int32_t* send_count;
  __nv_bfloat16* out;
  ExpertParallelWindow window;
  std::uint8_t* const* peer_window;
  const ncclDevComm* dev_comm;
  unsigned int* barrier;
  EpKernelProgress* progress;
  EpCtaTrace* cta_trace;
};

// As launch_fused_moe_ep, in FP8 (one instantiation: tiles of kFp8BlockM rows).
cudaError_t launch_fused_moe_ep_fp8(const FusedMoeEpFp8Args& args, int num_ctas, cudaStream_t stream);
cudaError_t fused_moe_ep_fp8_max_ctas(int device, int* num_ctas);

// ---- tensor_maps.cpp: TMA descriptors ----------------------------------------------------------

// 2D bf16 map over a row-major (rows, cols) matrix with `row_stride` elements between rows;
// box (64 cols, box_rows rows), 128-byte swizzle, zero fill out of bounds.
cudaError_t make_tensor_map_2d(CUtensorMap* map, const void* base, std::uint64_t rows, std::uint64_t cols,
                               std::uint64_t row_stride, std::uint32_t box_rows);
// 3D bf16 map over (depth, rows, cols) row-major with strides in elements; box (64, box_rows, 1).
cudaError_t make_tensor_map_3d(CUtensorMap* map, const void* base, std::uint64_t depth, std::uint64_t rows,
                               std::uint64_t cols, std::uint64_t row_stride, std::uint64_t depth_stride,
                               std::uint32_t box_rows);

// e4m3 maps (bytes, any 1-byte type): 2D over (rows, cols) with row_stride bytes between rows, box
// (128 bytes, box_rows rows), 128-byte swizzle, zero fill; 3D likewise over (depth, rows, cols).
cudaError_t make_e4m3_map_2d(CUtensorMap* map, const void* base, std::uint64_t rows, std::uint64_t cols,
                             std::uint64_t row_stride, std::uint32_t box_rows);
cudaError_t make_e4m3_map_3d(CUtensorMap* map, const void* base, std::uint64_t depth, std::uint64_t rows,
                             std::uint64_t cols, std::uint64_t row_stride, std::uint64_t depth_stride,
                             std::uint32_t box_rows);
// f32 map over transposed scales (Fp8Rows): (groups, rows) with scale_stride floats between
// groups, box (box_rows rows, 1 group), no swizzle.
cudaError_t make_scale_map_2d(CUtensorMap* map, const float* base, std::uint64_t groups, std::uint64_t rows,
                              std::uint64_t scale_stride, std::uint32_t box_rows);

}  // namespace moe_kernels
