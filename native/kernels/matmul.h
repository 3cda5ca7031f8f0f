/* GEMM and the three matrix products of a linear layer (fp32, row-major).
 *
 * sgemm packs panels of A and B into contiguous tiles and runs a
 * register-blocked micro-kernel: AVX2/FMA (6x16) when the CPU has it, a
 * portable C++ kernel otherwise. It splits work over the global thread pool
 * (serially when called from inside a pool worker).
 */
#pragma once

#include <cstdint>

namespace r1 {

// C (M,N) = alpha * op(A) · op(B) + beta * C
//   op(A) (M,K): A is (M,K) with row stride lda, or, if trans_a, A is (K,M).
//   op(B) (K,N): B is (K,N) with row stride ldb, or, if trans_b, B is (N,K).
// beta == 0 overwrites C without reading it (NaN in C is ignored).
void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
           const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
           int64_t ldc);

// y (M,N) = x (M,K) · wᵀ (w is (N,K)) + bias (N), bias may be null.
void matmul_forward(float* y, const float* x, const float* w, const float* bias, int64_t M,
                    int64_t K, int64_t N);

// dx (M,K) = dy (M,N) · w (N,K); accumulate adds into dx instead of overwriting.
void matmul_backward_input(float* dx, const float* dy, const float* w, int64_t M, int64_t K,
                           int64_t N, bool accumulate);

// dw (N,K) += dyᵀ · x (x is (M,K)); dbias (N) += column sums of dy when non-null.
void matmul_backward_weight(float* dw, float* dbias, const float* dy, const float* x, int64_t M,
                            int64_t K, int64_t N);

}  // namespace r1
