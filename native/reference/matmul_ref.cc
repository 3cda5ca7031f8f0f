#include "matmul_ref.h"

#include <cstddef>

namespace r1::ref {

std::vector<double> sgemm_ref(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                              double alpha, const float* A, int64_t lda, const float* B,
                              int64_t ldb, double beta, const float* C, int64_t ldc) {
  std::vector<double> out(static_cast<size_t>(M * N));
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      double acc = 0;
      for (int64_t p = 0; p < K; ++p) {
        double a = trans_a ? A[p * lda + i] : A[i * lda + p];
        double b = trans_b ? B[j * ldb + p] : B[p * ldb + j];
        acc += a * b;
      }
      out[i * N + j] = alpha * acc + (beta == 0 ? 0.0 : beta * C[i * ldc + j]);
    }
  }
  return out;
}

}  // namespace r1::ref
