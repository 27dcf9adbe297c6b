// MOEBENCH_TILE_TIMELINE=<prefix>: fused records when each GEMM tile ran on which CTA
// (moe_kernels::TileSpan; the decode kernel: each unit, a CTA's K steps within one output tile)
// and, after every launch outside a CUDA graph capture, writes the
// latest launch's spans to <prefix>_T<tokens>.csv (bench/tile_timeline.py summarises it). A
// diagnosis aid: each write synchronises the stream, so record with --no-cuda-graph and read the
// spans, not the benchmark's times.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <cuda_runtime.h>

#include "cuda/device/device_buffer.hpp"
#include "moe_kernels/fused_stages.hpp"

namespace moebench::cuda {

class TileTimeline {
 public:
  TileTimeline();  // reads MOEBENCH_TILE_TIMELINE
  bool enabled() const { return prefix_.has_value(); }
  // Room for `capacity` tiles in each of the two GEMM phases.
  void size(int capacity);
  moe_kernels::TileSpan* spans() const { return spans_.data(); }
  int capacity() const { return capacity_; }
  // Before a launch: clears the spans (stream-ordered, capturable).
  void clear(cudaStream_t stream) const;
  // After a launch: unless `stream` is being captured, waits for it and writes the spans.
  void write(cudaStream_t stream, std::int64_t num_tokens) const;

 private:
  std::optional<std::string> prefix_;
  DeviceBuffer<moe_kernels::TileSpan> spans_;
  int capacity_ = 0;
};

}  // namespace moebench::cuda
