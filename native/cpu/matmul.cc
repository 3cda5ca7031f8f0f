/* Temporary simple GEMM (replaced by the packed kernel). */
#include "../kernels/matmul.h"

#include <vector>

#include "../common/thread_pool.h"

namespace r1 {

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
           const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
           int64_t ldc) {
  parallel_for(M, 1, [&](int64_t m0, int64_t m1) {
    for (int64_t i = m0; i < m1; ++i) {
      for (int64_t j = 0; j < N; ++j) {
        float acc = 0;
        for (int64_t p = 0; p < K; ++p) {
          float a = trans_a ? A[p * lda + i] : A[i * lda + p];
          float b = trans_b ? B[j * ldb + p] : B[p * ldb + j];
          acc += a * b;
        }
        C[i * ldc + j] = alpha * acc + (beta == 0 ? 0 : beta * C[i * ldc + j]);
      }
    }
  });
}

void matmul_forward(float* y, const float* x, const float* w, const float* bias, int64_t M,
                    int64_t K, int64_t N) {
  sgemm(false, true, M, N, K, 1.0f, x, K, w, K, 0.0f, y, N);
  if (bias) {
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) y[i * N + j] += bias[j];
  }
}

void matmul_backward_input(float* dx, const float* dy, const float* w, int64_t M, int64_t K,
                           int64_t N, bool accumulate) {
  sgemm(false, false, M, K, N, 1.0f, dy, N, w, K, accumulate ? 1.0f : 0.0f, dx, K);
}

void matmul_backward_weight(float* dw, float* dbias, const float* dy, const float* x, int64_t M,
                            int64_t K, int64_t N) {
  sgemm(true, false, N, K, M, 1.0f, dy, N, x, K, 1.0f, dw, K);
  if (dbias) {
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) dbias[j] += dy[i * N + j];
  }
}

}  // namespace r1
