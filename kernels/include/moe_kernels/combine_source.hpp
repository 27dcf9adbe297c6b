// Where the rows a weighted combine sums live (detail/combine.cuh): `num_partials` arrays of rows
// `row_stride` elements apart, `partial_stride` elements between arrays (the TP ranks' partial
// sums). With `pair_rows` the row of (t, j) is t*k + j (rows already in token order) instead of
// RoutingBuffers::pair_row.
#pragma once

#include <cstdint>
#include <cuda_bf16.h>

namespace moe_kernels {

struct CombineSource {
  const __nv_bfloat16* y = nullptr;
  std::int64_t row_stride = 0;
  int num_partials = 1;
  std::int64_t partial_stride = 0;
  bool pair_rows = false;
};

}  // namespace moe_kernels
