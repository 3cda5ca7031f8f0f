/* GEMM micro-kernels (see matmul_microkernel.h). The AVX2 one keeps the 6x16
 * tile in 12 ymm accumulators: per k it loads two 8-wide B vectors and
 * broadcasts six A values, 12 FMAs per 8 loads. */
#include "matmul_microkernel.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace r1::gemm {

void kernel_portable(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                     float alpha, float beta) {
  float acc[MR][NR] = {};
  for (int64_t p = 0; p < kc; ++p) {
    for (int64_t r = 0; r < MR; ++r) {
      const float ar = a[r];
      for (int64_t j = 0; j < NR; ++j) acc[r][j] += ar * b[j];
    }
    a += MR;
    b += NR;
  }
  for (int64_t r = 0; r < MR; ++r) {
    float* row = c + r * ldc;
    for (int64_t j = 0; j < NR; ++j)
      row[j] = beta == 0.0f ? alpha * acc[r][j] : beta * row[j] + alpha * acc[r][j];
  }
}

void dot_rows_portable(int64_t m, int64_t k, const float* a, int64_t lda, const float* w,
                       float* out) {
  for (int64_t i = 0; i < m; ++i) {
    const float* row = a + i * lda;
    float acc = 0;
    for (int64_t p = 0; p < k; ++p) acc += row[p] * w[p];
    out[i] = acc;
  }
}

#if defined(__x86_64__) || defined(__i386__)

namespace {
__attribute__((target("avx2,fma"))) inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}
}  // namespace

__attribute__((target("avx2,fma"))) void dot_rows_avx2(int64_t m, int64_t k, const float* a,
                                                       int64_t lda, const float* w, float* out) {
  int64_t i = 0;
  // Two rows at a time share each load of w.
  for (; i + 2 <= m; i += 2) {
    const float* r0 = a + i * lda;
    const float* r1 = r0 + lda;
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    __m256 t0 = _mm256_setzero_ps(), t1 = _mm256_setzero_ps();
    int64_t p = 0;
    for (; p + 16 <= k; p += 16) {
      const __m256 w0 = _mm256_loadu_ps(w + p), w1 = _mm256_loadu_ps(w + p + 8);
      s0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + p), w0, s0);
      t0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + p + 8), w1, t0);
      s1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + p), w0, s1);
      t1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + p + 8), w1, t1);
    }
    float x0 = hsum(_mm256_add_ps(s0, t0)), x1 = hsum(_mm256_add_ps(s1, t1));
    for (; p < k; ++p) {
      x0 += r0[p] * w[p];
      x1 += r1[p] * w[p];
    }
    out[i] = x0;
    out[i + 1] = x1;
  }
  for (; i < m; ++i) {
    const float* r = a + i * lda;
    __m256 s = _mm256_setzero_ps(), t = _mm256_setzero_ps();
    int64_t p = 0;
    for (; p + 16 <= k; p += 16) {
      s = _mm256_fmadd_ps(_mm256_loadu_ps(r + p), _mm256_loadu_ps(w + p), s);
      t = _mm256_fmadd_ps(_mm256_loadu_ps(r + p + 8), _mm256_loadu_ps(w + p + 8), t);
    }
    float x = hsum(_mm256_add_ps(s, t));
    for (; p < k; ++p) x += r[p] * w[p];
    out[i] = x;
  }
}

__attribute__((target("avx2,fma"))) void pack_rows16_avx2(float* dst, const float* const* rows,
                                                          int64_t p0, int64_t kc) {
  int64_t p = 0;
  for (; p + 8 <= kc; p += 8) {
    for (int half = 0; half < 2; ++half) {
      const float* const* r = rows + half * 8;
      __m256 r0 = _mm256_loadu_ps(r[0] + p0 + p), r1 = _mm256_loadu_ps(r[1] + p0 + p);
      __m256 r2 = _mm256_loadu_ps(r[2] + p0 + p), r3 = _mm256_loadu_ps(r[3] + p0 + p);
      __m256 r4 = _mm256_loadu_ps(r[4] + p0 + p), r5 = _mm256_loadu_ps(r[5] + p0 + p);
      __m256 r6 = _mm256_loadu_ps(r[6] + p0 + p), r7 = _mm256_loadu_ps(r[7] + p0 + p);
      // 8×8 transpose: unpack pairs, shuffle quads, swap 128-bit lanes.
      __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
      __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
      __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
      __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
      __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
      __m256 s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
      __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
      __m256 s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
      __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
      __m256 s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
      __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
      __m256 s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
      float* out = dst + p * NR + half * 8;
      _mm256_storeu_ps(out + 0 * NR, _mm256_permute2f128_ps(s0, s4, 0x20));
      _mm256_storeu_ps(out + 1 * NR, _mm256_permute2f128_ps(s1, s5, 0x20));
      _mm256_storeu_ps(out + 2 * NR, _mm256_permute2f128_ps(s2, s6, 0x20));
      _mm256_storeu_ps(out + 3 * NR, _mm256_permute2f128_ps(s3, s7, 0x20));
      _mm256_storeu_ps(out + 4 * NR, _mm256_permute2f128_ps(s0, s4, 0x31));
      _mm256_storeu_ps(out + 5 * NR, _mm256_permute2f128_ps(s1, s5, 0x31));
      _mm256_storeu_ps(out + 6 * NR, _mm256_permute2f128_ps(s2, s6, 0x31));
      _mm256_storeu_ps(out + 7 * NR, _mm256_permute2f128_ps(s3, s7, 0x31));
    }
  }
  for (; p < kc; ++p)
    for (int c = 0; c < NR; ++c) dst[p * NR + c] = rows[c][p0 + p];
}

__attribute__((target("avx2,fma"))) void kernel_avx2(int64_t kc, const float* a, const float* b,
                                                     float* c, int64_t ldc, float alpha,
                                                     float beta) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int r = 0; r < MR; ++r) _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);

#define R1_GEMM_STEP(off_a, off_b)                                     \
  {                                                                    \
    const __m256 b0 = _mm256_load_ps(b + (off_b));                     \
    const __m256 b1 = _mm256_load_ps(b + (off_b) + 8);                 \
    __m256 av = _mm256_broadcast_ss(a + (off_a) + 0);                  \
    c00 = _mm256_fmadd_ps(av, b0, c00);                                \
    c01 = _mm256_fmadd_ps(av, b1, c01);                                \
    av = _mm256_broadcast_ss(a + (off_a) + 1);                         \
    c10 = _mm256_fmadd_ps(av, b0, c10);                                \
    c11 = _mm256_fmadd_ps(av, b1, c11);                                \
    av = _mm256_broadcast_ss(a + (off_a) + 2);                         \
    c20 = _mm256_fmadd_ps(av, b0, c20);                                \
    c21 = _mm256_fmadd_ps(av, b1, c21);                                \
    av = _mm256_broadcast_ss(a + (off_a) + 3);                         \
    c30 = _mm256_fmadd_ps(av, b0, c30);                                \
    c31 = _mm256_fmadd_ps(av, b1, c31);                                \
    av = _mm256_broadcast_ss(a + (off_a) + 4);                         \
    c40 = _mm256_fmadd_ps(av, b0, c40);                                \
    c41 = _mm256_fmadd_ps(av, b1, c41);                                \
    av = _mm256_broadcast_ss(a + (off_a) + 5);                         \
    c50 = _mm256_fmadd_ps(av, b0, c50);                                \
    c51 = _mm256_fmadd_ps(av, b1, c51);                                \
  }

  int64_t p = 0;
  for (; p + 4 <= kc; p += 4) {
    _mm_prefetch(reinterpret_cast<const char*>(b + 128), _MM_HINT_T0);
    R1_GEMM_STEP(0, 0)
    R1_GEMM_STEP(6, 16)
    R1_GEMM_STEP(12, 32)
    R1_GEMM_STEP(18, 48)
    a += 4 * MR;
    b += 4 * NR;
  }
  for (; p < kc; ++p) {
    R1_GEMM_STEP(0, 0)
    a += MR;
    b += NR;
  }
#undef R1_GEMM_STEP

  const __m256 va = _mm256_set1_ps(alpha);
  __m256* rows[MR][2] = {{&c00, &c01}, {&c10, &c11}, {&c20, &c21},
                         {&c30, &c31}, {&c40, &c41}, {&c50, &c51}};
  if (beta == 0.0f) {
    for (int r = 0; r < MR; ++r) {
      _mm256_storeu_ps(c + r * ldc, _mm256_mul_ps(va, *rows[r][0]));
      _mm256_storeu_ps(c + r * ldc + 8, _mm256_mul_ps(va, *rows[r][1]));
    }
  } else {
    const __m256 vb = _mm256_set1_ps(beta);
    for (int r = 0; r < MR; ++r) {
      float* row = c + r * ldc;
      _mm256_storeu_ps(row, _mm256_fmadd_ps(va, *rows[r][0], _mm256_mul_ps(vb, _mm256_loadu_ps(row))));
      _mm256_storeu_ps(row + 8,
                       _mm256_fmadd_ps(va, *rows[r][1], _mm256_mul_ps(vb, _mm256_loadu_ps(row + 8))));
    }
  }
}

#else

void kernel_avx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, float alpha,
                 float beta) {
  kernel_portable(kc, a, b, c, ldc, alpha, beta);
}

void dot_rows_avx2(int64_t m, int64_t k, const float* a, int64_t lda, const float* w, float* out) {
  dot_rows_portable(m, k, a, lda, w, out);
}

void pack_rows16_avx2(float* dst, const float* const* rows, int64_t p0, int64_t kc) {
  for (int64_t p = 0; p < kc; ++p)
    for (int c = 0; c < NR; ++c) dst[p * NR + c] = rows[c][p0 + p];
}

#endif

}  // namespace r1::gemm
