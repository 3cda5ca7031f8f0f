/* The GEMM micro-kernel: one (MR, NR) tile of C from packed panels.
 *
 *   C (MR,NR) = beta * C + alpha * Σ_p a[p] ⊗ b[p]
 *   a: packed A panel (kc, MR), b: packed B panel (kc, NR)
 * beta == 0 writes C without reading it. Two builds: AVX2/FMA and portable. */
#pragma once

#include <cstdint>

namespace r1::gemm {

constexpr int64_t MR = 6;
constexpr int64_t NR = 16;

using MicroKernel = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                             float alpha, float beta);

void kernel_avx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha,
                 float beta);
void kernel_portable(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                     float alpha, float beta);

// out[i] = Σ_p a[i·lda + p] · w[p] for i < m (m <= 8): m rows of A against one
// contiguous row w of length k.
using DotRows = void (*)(int64_t m, int64_t k, const float* a, int64_t lda, const float* w,
                         float* out);
void dot_rows_avx2(int64_t m, int64_t k, const float* a, int64_t lda, const float* w, float* out);
void dot_rows_portable(int64_t m, int64_t k, const float* a, int64_t lda, const float* w,
                       float* out);

// Packs 16 rows of a row-major (N, K) matrix, columns [p0, p0 + kc), into a
// (kc, 16) panel: dst[p·16 + c] = rows[c][p0 + p]. The AVX2 form transposes
// 8×8 blocks in registers instead of gathering one float at a time.
void pack_rows16_avx2(float* dst, const float* const* rows, int64_t p0, int64_t kc);

}  // namespace r1::gemm
