// Sizes, strides and maps of the FP8 activation buffers.
#include "cuda/device/fp8_row_buffers.hpp"

#include <algorithm>

#include "cuda/device/cuda_check.hpp"

namespace moebench::cuda {

void Fp8RowBuffer::size(int rows, int width, int box_rows) {
  codes_stride_ = moe_kernels::fp8_codes_stride(width);
  // The scale map's rows are its inner dimension: at least one box of them, and 16-byte strides.
  // Its boxes are kScaleBoxSlack rows taller than box_rows (moe_types.hpp: a box starts 16-byte
  // aligned, at its first row rounded down to a multiple of 4).
  const int scale_box_rows = box_rows + moe_kernels::kScaleBoxSlack;
  scale_stride_ = moe_kernels::round_up(std::max(rows, scale_box_rows), 4);
  const int groups = moe_kernels::fp8_groups(width);
  codes_.resize(static_cast<std::size_t>(rows) * codes_stride_);
  scales_.resize(static_cast<std::size_t>(groups) * scale_stride_);
  const auto row_count = static_cast<std::uint64_t>(std::max(rows, 1));
  MOE_CUDA_CHECK(moe_kernels::make_e4m3_map_2d(&codes_map_, codes_.data(), row_count,
                                               static_cast<std::uint64_t>(std::max(width, 1)),
                                               static_cast<std::uint64_t>(codes_stride_), box_rows));
  MOE_CUDA_CHECK(moe_kernels::make_scale_map_2d(&scales_map_, scales_.data(), static_cast<std::uint64_t>(groups),
                                                static_cast<std::uint64_t>(scale_stride_),
                                                static_cast<std::uint64_t>(scale_stride_), scale_box_rows));
}

void PackedFp8Rows::size(int rows, int width) {
  width_ = width;
  data_.resize(static_cast<std::size_t>(rows) * moe_kernels::Fp8PackedRows::of_width(nullptr, width).row_bytes);
}

}  // namespace moebench::cuda
