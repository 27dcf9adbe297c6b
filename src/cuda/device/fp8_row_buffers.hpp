// The FP8 paths' activation buffers on a GPU (moe_kernels' Fp8Rows and Fp8PackedRows): sized for a
// case, zero at allocation, with the TMA maps a GEMM reads them through.
#pragma once

#include <cstdint>

#include "cuda/device/device_buffer.hpp"
#include "moe_kernels/launch.hpp"

namespace moebench::cuda {

// Rows of `width` channels in e4m3 and their transposed scales (moe_kernels::Fp8Rows), read by TMA
// in boxes of box_rows rows (the scales' boxes kScaleBoxSlack rows taller: moe_types.hpp).
class Fp8RowBuffer {
 public:
  void size(int rows, int width, int box_rows);
  moe_kernels::Fp8Rows rows() const { return {codes_.data(), codes_stride_, scales_.data(), scale_stride_}; }
  const CUtensorMap& codes_map() const { return codes_map_; }
  const CUtensorMap& scales_map() const { return scales_map_; }

 private:
  DeviceBuffer<std::uint8_t> codes_;
  DeviceBuffer<float> scales_;
  int codes_stride_ = 0, scale_stride_ = 0;
  CUtensorMap codes_map_{}, scales_map_{};
};

// Rows of `width` channels packed for a gather (moe_kernels::Fp8PackedRows): codes, then scales.
class PackedFp8Rows {
 public:
  void size(int rows, int width);
  moe_kernels::Fp8PackedRows rows() const { return moe_kernels::Fp8PackedRows::of_width(data_.data(), width_); }

 private:
  DeviceBuffer<std::uint8_t> data_;
  int width_ = 0;
};

}  // namespace moebench::cuda
