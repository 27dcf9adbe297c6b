// Warpgroup MMA (sm_90a): bf16 x bf16 -> f32 and e4m3 x e4m3 -> f32, both operands K-major in
// shared memory with the 128-byte swizzle that TMA writes. Tiles are rows of 128 bytes (64 bf16 or
// 128 e4m3); 8 rows form one 1024-byte swizzle atom.
#pragma once

#include <cstdint>

#include "moe_kernels/detail/ptx.cuh"

namespace moe_kernels::wgmma {

// Shared-memory matrix descriptor for a K-major, 128B-swizzled tile starting at `tile`
// (1024-byte aligned): leading offset unused, stride between 8-row groups 1024 bytes.
__device__ __forceinline__ std::uint64_t make_desc_k_major_sw128(const void* tile) {
  const std::uint64_t address = ptx::smem_addr(tile);
  std::uint64_t desc = (address & 0x3FFFF) >> 4;  // start address, 16-byte units
  desc |= std::uint64_t(1) << 16;                 // leading byte offset (ignored for this layout)
  desc |= std::uint64_t(1024 >> 4) << 32;         // stride byte offset
  desc |= std::uint64_t(1) << 62;                 // 128-byte swizzle
  return desc;
}

// Steps a descriptor `k_elems` bf16 along K inside the 128-byte row (k_elems * 2 bytes).
__device__ __forceinline__ std::uint64_t advance_k(std::uint64_t desc, int k_elems) {
  return desc + static_cast<std::uint64_t>((k_elems * 2) >> 4);
}

// Steps a descriptor `bytes` along K inside the 128-byte row, whatever the element type.
__device__ __forceinline__ std::uint64_t advance_bytes(std::uint64_t desc, int bytes) {
  return desc + static_cast<std::uint64_t>(bytes >> 4);
}

__device__ __forceinline__ void fence() { asm volatile("wgmma.fence.sync.aligned;" ::: "memory"); }
__device__ __forceinline__ void commit_group() { asm volatile("wgmma.commit_group.sync.aligned;" ::: "memory"); }
template <int kPending>
__device__ __forceinline__ void wait_group() {
  asm volatile("wgmma.wait_group.sync.aligned %0;" ::"n"(kPending) : "memory");
}

// Keeps the compiler from moving accumulator reads/writes across wgmma boundaries.
template <int kCount>
__device__ __forceinline__ void fence_accumulators(float (&acc)[kCount]) {
#pragma unroll
  for (int i = 0; i < kCount; ++i) asm volatile("" : "+f"(acc[i])::"memory");
}

// D (64 x 256, f32, 128 registers per thread) += A (64 x 16) * B (16 x 256)^T.
// `accumulate` = false overwrites D.
__device__ __forceinline__ void mma_m64n256k16(float (&d)[128], std::uint64_t desc_a, std::uint64_t desc_b,
                                               bool accumulate) {
#define MOE_ACC8(i)                                                                                           \
  "+f"(d[i]), "+f"(d[i + 1]), "+f"(d[i + 2]), "+f"(d[i + 3]), "+f"(d[i + 4]), "+f"(d[i + 5]), "+f"(d[i + 6]), \
      "+f"(d[i + 7])
  asm volatile(
      "{\n"
      ".reg .pred p;\n"
      "setp.ne.b32 p, %130, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
      "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
      "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, "
      "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, "
      "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, "
      "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, "
      "%112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127}, "
      "%128, %129, p, 1, 1, 0, 0;\n"
      "}\n"
      : MOE_ACC8(0), MOE_ACC8(8), MOE_ACC8(16), MOE_ACC8(24), MOE_ACC8(32), MOE_ACC8(40), MOE_ACC8(48), MOE_ACC8(56),
        MOE_ACC8(64), MOE_ACC8(72), MOE_ACC8(80), MOE_ACC8(88), MOE_ACC8(96), MOE_ACC8(104), MOE_ACC8(112),
        MOE_ACC8(120)
      : "l"(desc_a), "l"(desc_b), "r"(static_cast<int>(accumulate)));
#undef MOE_ACC8
}

// D (64 x kN, f32, kN / 2 registers per thread) += A (64 x 16) * B (16 x kN)^T for kN 8, 16, 32
// or 64: the weight rows as A and up to kN token rows as B, for a tile's tail rows
// (tile_pipeline.cuh) and for the decode kernel's experts (decode_pipeline.cuh).
template <int kN>
__device__ __forceinline__ void mma_m64nNk16(float (&d)[kN / 2], std::uint64_t desc_a, std::uint64_t desc_b,
                                             bool accumulate) {
  static_assert(kN == 8 || kN == 16 || kN == 32 || kN == 64);
  if constexpr (kN == 8) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %6, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n8k16.f32.bf16.bf16 {%0, %1, %2, %3}, %4, %5, p, 1, 1, 0, 0;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "l"(desc_a), "l"(desc_b), "r"(static_cast<int>(accumulate)));
  } else if constexpr (kN == 16) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %10, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n16k16.f32.bf16.bf16 {%0, %1, %2, %3, %4, %5, %6, %7}, %8, %9, p, 1, 1, 0, "
        "0;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7])
        : "l"(desc_a), "l"(desc_b), "r"(static_cast<int>(accumulate)));
  } else if constexpr (kN == 32) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %18, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n32k16.f32.bf16.bf16 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15}, %16, %17, p, 1, 1, 0, 0;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]),
          "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15])
        : "l"(desc_a), "l"(desc_b), "r"(static_cast<int>(accumulate)));
  } else {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
        "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, %32, %33, p, 1, 1, 0, 0;\n}\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]), "+f"(d[8]),
          "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]),
          "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]),
          "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31])
        : "l"(desc_a), "l"(desc_b), "r"(static_cast<int>(accumulate)));
  }
}

// D (64 x 128, f32, 64 registers per thread) = or += A (64 x 32) * B (32 x 128)^T in e4m3: the
// block-scaled FP8 GEMMs' product of one 32-byte K slice (fp8_pipeline.cuh). FP8 wgmma takes no
// transpose flags: both operands are K-major, as ours always are. Hopper accumulates FP8 products
// with fewer bits than f32, so the callers promote each 128-K block into f32 registers of their own.
__device__ __forceinline__ void mma_m64n128k32_e4m3(float (&d)[64], std::uint64_t desc_a, std::uint64_t desc_b,
                                                    bool accumulate) {
#define MOE_ACC8(i)                                                                                           \
  "+f"(d[i]), "+f"(d[i + 1]), "+f"(d[i + 2]), "+f"(d[i + 3]), "+f"(d[i + 4]), "+f"(d[i + 5]), "+f"(d[i + 6]), \
      "+f"(d[i + 7])
  asm volatile(
      "{\n"
      ".reg .pred p;\n"
      "setp.ne.b32 p, %66, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3 "
      "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
      "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
      "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, "
      "%64, %65, p, 1, 1;\n"
      "}\n"
      : MOE_ACC8(0), MOE_ACC8(8), MOE_ACC8(16), MOE_ACC8(24), MOE_ACC8(32), MOE_ACC8(40), MOE_ACC8(48), MOE_ACC8(56)
      : "l"(desc_a), "l"(desc_b), "r"(static_cast<int>(accumulate)));
#undef MOE_ACC8
}

// D (64 x kN, f32, kN / 2 registers per thread) = or += A (64 x 32) * B (32 x kN)^T in e4m3 for kN
// 8, 16, 32 or 64: the FP8 decode kernel's weight rows as A and an expert's tokens as B
// (fp8_decode_pipeline.cuh); its callers promote each 128-K block as mma_m64n128k32_e4m3's do.
template <int kN>
__device__ __forceinline__ void mma_m64nNk32_e4m3(float (&d)[kN / 2], std::uint64_t desc_a, std::uint64_t desc_b,
                                                  bool accumulate) {
  static_assert(kN == 8 || kN == 16 || kN == 32 || kN == 64);
#define MOE_ACC4(i) "+f"(d[i]), "+f"(d[i + 1]), "+f"(d[i + 2]), "+f"(d[i + 3])
  if constexpr (kN == 8) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %6, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n8k32.f32.e4m3.e4m3 {%0, %1, %2, %3}, %4, %5, p, 1, 1;\n}\n"
        : MOE_ACC4(0)
        : "l"(desc_a), "l"(desc_b), "r"(static_cast<int>(accumulate)));
  } else if constexpr (kN == 16) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %10, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n16k32.f32.e4m3.e4m3 {%0, %1, %2, %3, %4, %5, %6, %7}, %8, %9, p, 1, 1;\n}\n"
        : MOE_ACC4(0), MOE_ACC4(4)
        : "l"(desc_a), "l"(desc_b), "r"(static_cast<int>(accumulate)));
  } else if constexpr (kN == 32) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %18, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n32k32.f32.e4m3.e4m3 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15}, %16, %17, p, 1, 1;\n}\n"
        : MOE_ACC4(0), MOE_ACC4(4), MOE_ACC4(8), MOE_ACC4(12)
        : "l"(desc_a), "l"(desc_b), "r"(static_cast<int>(accumulate)));
  } else {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k32.f32.e4m3.e4m3 "
        "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
        "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}, %32, %33, p, 1, 1;\n}\n"
        : MOE_ACC4(0), MOE_ACC4(4), MOE_ACC4(8), MOE_ACC4(12), MOE_ACC4(16), MOE_ACC4(20), MOE_ACC4(24), MOE_ACC4(28)
        : "l"(desc_a), "l"(desc_b), "r"(static_cast<int>(accumulate)));
  }
#undef MOE_ACC4
}

// Where accumulator register i of a 64 x N tile lives (any N): row within the 64, column within N.
// Groups of 4 registers cover 8 columns: (r, 2c), (r, 2c+1), (r+8, 2c), (r+8, 2c+1).
struct AccumulatorCoord {
  int row;
  int col;
};
__device__ __forceinline__ AccumulatorCoord accumulator_coord(int reg, int thread_in_warpgroup) {
  const int warp = thread_in_warpgroup / 32, lane = thread_in_warpgroup % 32;
  const int group = reg / 4, within = reg % 4;
  return {warp * 16 + lane / 4 + (within >= 2 ? 8 : 0), group * 8 + (lane % 4) * 2 + (within & 1)};
}

}  // namespace moe_kernels::wgmma
