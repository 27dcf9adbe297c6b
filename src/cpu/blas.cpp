// GEMM for the CPU backend: OpenBLAS where the build has it (always, on machines that run the CPU
// backend for real), else a plain loop nest, for builds that only drive a GPU (the device bundle).
#include "cpu/blas.hpp"

#if defined(MOEBENCH_HAVE_OPENBLAS)
#include <cblas.h>
#else
#include <algorithm>
#endif

namespace moebench::cpu {

#if defined(MOEBENCH_HAVE_OPENBLAS)

void gemm(Trans trans_a, Trans trans_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float* a,
          std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  if (m == 0 || n == 0) return;
  cblas_sgemm(CblasRowMajor, trans_a == Trans::kYes ? CblasTrans : CblasNoTrans,
              trans_b == Trans::kYes ? CblasTrans : CblasNoTrans, static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), alpha, a, static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c,
              static_cast<blasint>(ldc));
}

void set_blas_threads(int threads) { openblas_set_num_threads(threads); }

#else

void gemm(Trans trans_a, Trans trans_b, std::int64_t m, std::int64_t n, std::int64_t k, float alpha, const float* a,
          std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
  auto at = [&](std::int64_t i, std::int64_t p) { return trans_a == Trans::kYes ? a[p * lda + i] : a[i * lda + p]; };
  auto bt = [&](std::int64_t p, std::int64_t j) { return trans_b == Trans::kYes ? b[j * ldb + p] : b[p * ldb + j]; };
#pragma omp parallel for schedule(static) if (m * n * k > (1 << 20))
  for (std::int64_t i = 0; i < m; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      float sum = 0.0f;
      for (std::int64_t p = 0; p < k; ++p) sum += at(i, p) * bt(p, j);
      c[i * ldc + j] = alpha * sum + (beta == 0.0f ? 0.0f : beta * c[i * ldc + j]);
    }
  }
}

void set_blas_threads(int) {}

#endif

}  // namespace moebench::cpu
