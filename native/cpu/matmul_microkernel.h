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

}  // namespace r1::gemm
