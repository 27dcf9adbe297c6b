// The largest sizes accepted from flags and model configs (checked as the flags are parsed and in
// src/cli/validate.cpp), and the compile-time proof that no product of sizes the code forms in
// integers can overflow at them. docs/limits.md lists each product, where it is computed, and its
// worst case.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

namespace moebench {

struct Limits {
  static constexpr std::int64_t kMaxExperts = 4096;
  static constexpr std::int64_t kMaxTopK = 64;
  static constexpr std::int64_t kMaxHidden = 65536;
  static constexpr std::int64_t kMaxIntermediate = 262144;
  static constexpr std::int64_t kMaxTokens = 1 << 24;
  static constexpr std::int64_t kMaxDevices = 65536;
  static constexpr std::int64_t kMaxIterations = 1000000;
};

// Raising a limit must keep these true; each names the products it covers (docs/limits.md).
// Integer products are allowed to reach 2^63 / 1024: the factor leaves room for the small
// multipliers (3 weight tensors, a few copies) the code applies on top.
namespace limits_proof {

using I64 = std::int64_t;
inline constexpr I64 kRoom = std::numeric_limits<I64>::max() / 1024;
inline constexpr I64 kInt32 = std::numeric_limits<std::int32_t>::max();
inline constexpr I64 E = Limits::kMaxExperts, K = Limits::kMaxTopK, H = Limits::kMaxHidden;
inline constexpr I64 I = Limits::kMaxIntermediate, T = Limits::kMaxTokens;
inline constexpr I64 kMaxPadding = 256;  // the fused format pads I and H to a GPU tile at most

// (token, slot) pairs T*k: int32 in the CUDA geometry (max_pairs), the routing buffers' row
// offsets and the expert ids' counts.
static_assert(T * K <= kInt32);
// Weights: E*H*I per tensor; the fused w13 holds E*2*I_padded*H_padded; as f32 bytes.
static_assert(E * 2 * (I + kMaxPadding) * (H + kMaxPadding) * 4 <= kRoom);
// Scratch over the pairs: T*k rows of I (gate, up, activation) or of H (gathered x, y), f32 bytes.
static_assert(T * K * std::max(I, H) * 4 <= kRoom);
// Case inputs and outputs T*H, router logits T*E, f32 bytes.
static_assert(T * H * 4 <= kRoom && T * E * 4 <= kRoom);
// BLAS takes 32-bit sizes and leading dimensions: 2*I (fused gate+up rows), H, and the rows of
// one call (at most 256 tokens x k on the fused path, 128 on epmoe).
static_assert(2 * (I + kMaxPadding) <= kInt32 && H + kMaxPadding <= kInt32 && 256 * K <= kInt32);
// Iteration counts and per-case sample vectors are ints.
static_assert(Limits::kMaxIterations <= kInt32 && Limits::kMaxDevices <= kInt32);

}  // namespace limits_proof

}  // namespace moebench
