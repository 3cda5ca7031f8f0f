/* Naive float64 GEMM: the oracle for the C++ matmul tests. */
#pragma once

#include <cstdint>
#include <vector>

namespace r1::ref {

// C (M,N) = alpha * op(A) · op(B) + beta * C, accumulated in double.
std::vector<double> sgemm_ref(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                              double alpha, const float* A, int64_t lda, const float* B,
                              int64_t ldb, double beta, const float* C, int64_t ldc);

}  // namespace r1::ref
