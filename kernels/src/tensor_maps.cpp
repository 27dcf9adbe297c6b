// TMA descriptors through the driver's cuTensorMapEncodeTiled, fetched at run time so the
// library links against the runtime alone.
#include <cuda.h>
#include <cuda_runtime.h>

#include "moe_kernels/launch.hpp"

namespace moe_kernels {

namespace {

using EncodeTiled = CUresult (*)(CUtensorMap*, CUtensorMapDataType, cuuint32_t, void*, const cuuint64_t*,
                                 const cuuint64_t*, const cuuint32_t*, const cuuint32_t*, CUtensorMapInterleave,
                                 CUtensorMapSwizzle, CUtensorMapL2promotion, CUtensorMapFloatOOBfill);

cudaError_t encode_tiled(EncodeTiled* out) {
  static EncodeTiled function = nullptr;
  if (function == nullptr) {
    void* symbol = nullptr;
    cudaDriverEntryPointQueryResult found{};
    const cudaError_t status =
        cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &symbol, 12000, cudaEnableDefault, &found);
    if (status != cudaSuccess) return status;
    if (found != cudaDriverEntryPointSuccess || symbol == nullptr) return cudaErrorNotSupported;
    function = reinterpret_cast<EncodeTiled>(symbol);
  }
  *out = function;
  return cudaSuccess;
}

// The operands' element type and swizzle: bf16 and e4m3 tiles are 128-byte swizzled rows; the
// FP8 scales are plain f32 rows.
struct MapFormat {
  CUtensorMapDataType type;
  CUtensorMapSwizzle swizzle;
};
constexpr MapFormat kBf16Tiles{CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, CU_TENSOR_MAP_SWIZZLE_128B};
constexpr MapFormat kE4m3Tiles{CU_TENSOR_MAP_DATA_TYPE_UINT8, CU_TENSOR_MAP_SWIZZLE_128B};
constexpr MapFormat kScales{CU_TENSOR_MAP_DATA_TYPE_FLOAT32, CU_TENSOR_MAP_SWIZZLE_NONE};

cudaError_t encode(CUtensorMap* map, MapFormat format, const void* base, cuuint32_t rank, const cuuint64_t* dims,
                   const cuuint64_t* strides_bytes, const cuuint32_t* box) {
  EncodeTiled function = nullptr;
  const cudaError_t status = encode_tiled(&function);
  if (status != cudaSuccess) return status;
  const cuuint32_t element_strides[3] = {1, 1, 1};
  const CUresult result = function(map, format.type, rank, const_cast<void*>(base), dims, strides_bytes, box,
                                   element_strides, CU_TENSOR_MAP_INTERLEAVE_NONE, format.swizzle,
                                   CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  return result == CUDA_SUCCESS ? cudaSuccess : cudaErrorInvalidValue;
}

}  // namespace

cudaError_t make_tensor_map_2d(CUtensorMap* map, const void* base, std::uint64_t rows, std::uint64_t cols,
                               std::uint64_t row_stride, std::uint32_t box_rows) {
  const cuuint64_t dims[2] = {cols, rows};
  const cuuint64_t strides[1] = {row_stride * 2};
  const cuuint32_t box[2] = {64, box_rows};
  return encode(map, kBf16Tiles, base, 2, dims, strides, box);
}

cudaError_t make_tensor_map_3d(CUtensorMap* map, const void* base, std::uint64_t depth, std::uint64_t rows,
                               std::uint64_t cols, std::uint64_t row_stride, std::uint64_t depth_stride,
                               std::uint32_t box_rows) {
  const cuuint64_t dims[3] = {cols, rows, depth};
  const cuuint64_t strides[2] = {row_stride * 2, depth_stride * 2};
  const cuuint32_t box[3] = {64, box_rows, 1};
  return encode(map, kBf16Tiles, base, 3, dims, strides, box);
}

cudaError_t make_e4m3_map_2d(CUtensorMap* map, const void* base, std::uint64_t rows, std::uint64_t cols,
                             std::uint64_t row_stride, std::uint32_t box_rows) {
  const cuuint64_t dims[2] = {cols, rows};
  const cuuint64_t strides[1] = {row_stride};
  const cuuint32_t box[2] = {kFp8BlockK, box_rows};
  return encode(map, kE4m3Tiles, base, 2, dims, strides, box);
}

cudaError_t make_e4m3_map_3d(CUtensorMap* map, const void* base, std::uint64_t depth, std::uint64_t rows,
                             std::uint64_t cols, std::uint64_t row_stride, std::uint64_t depth_stride,
                             std::uint32_t box_rows) {
  const cuuint64_t dims[3] = {cols, rows, depth};
  const cuuint64_t strides[2] = {row_stride, depth_stride};
  const cuuint32_t box[3] = {kFp8BlockK, box_rows, 1};
  return encode(map, kE4m3Tiles, base, 3, dims, strides, box);
}

cudaError_t make_scale_map_2d(CUtensorMap* map, const float* base, std::uint64_t groups, std::uint64_t rows,
                              std::uint64_t scale_stride, std::uint32_t box_rows) {
  const cuuint64_t dims[2] = {rows, groups};
  const cuuint64_t strides[1] = {scale_stride * sizeof(float)};
  const cuuint32_t box[2] = {box_rows, 1};
  return encode(map, kScales, base, 2, dims, strides, box);
}

}  // namespace moe_kernels
