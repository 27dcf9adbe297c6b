// Row-major f32 GEMM on OpenBLAS, and control of its thread pool.
#pragma once

#include <cstdint>

namespace moebench::cpu {

enum class Trans { kNo, kYes };

// C (m x n) = alpha * op(A) (m x k) * op(B) (k x n) + beta * C, all row-major.
void gemm(Trans trans_a, Trans trans_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float* a,
          std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc);

// The CPU backend sets 1 and parallelises with OpenMP around the calls (cpu_backend.cpp says why).
void set_blas_threads(int threads);

}  // namespace moebench::cpu
