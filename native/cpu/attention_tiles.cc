/* The two builds of the attention tile operations (see attention_tiles.h). The
 * AVX2 product keeps up to 6 rows × 16 columns of C in ymm accumulators for the
 * whole k loop (two B loads and six broadcasts per 12 FMAs); the softmax steps
 * use a Cephes-style vector exp. */
#include "attention_tiles.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "../common/cpu_features.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define R1_HAVE_X86 1
#endif

namespace r1::attention_tiles {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// ---- portable path -------------------------------------------------------------

void gemm_portable(int m, int n, int k, const float* a, int64_t ars, int64_t acs, const float* b,
                   int64_t ldb, float* c, int64_t ldc, bool accumulate) {
  for (int r = 0; r < m; ++r) {
    float* crow = c + r * ldc;
    if (!accumulate) std::fill(crow, crow + n, 0.0f);
    for (int p = 0; p < k; ++p) {
      const float av = a[r * ars + p * acs];
      const float* brow = b + p * ldb;
      for (int j = 0; j < n; ++j) crow[j] += av * brow[j];
    }
  }
}

float softmax_portable(float* s, int n, int valid, float scale, float* m, float* l) {
  float tile_max = kNegInf;
  for (int j = 0; j < valid; ++j) tile_max = std::max(tile_max, s[j] * scale);
  if (tile_max == kNegInf) {  // nothing visible in this tile
    std::fill(s, s + n, 0.0f);
    return 1.0f;
  }
  const float m_new = std::max(*m, tile_max);
  const float alpha = std::exp(*m - m_new);
  float sum = 0;
  for (int j = 0; j < valid; ++j) {
    s[j] = std::exp(s[j] * scale - m_new);
    sum += s[j];
  }
  std::fill(s + valid, s + n, 0.0f);
  *l = *l * alpha + sum;
  *m = m_new;
  return alpha;
}

void probs_portable(float* s, int n, int valid, float scale, float lse) {
  for (int j = 0; j < valid; ++j) s[j] = std::exp(s[j] * scale - lse);
  std::fill(s + valid, s + n, 0.0f);
}

// ---- AVX2/FMA path ---------------------------------------------------------------
#ifdef R1_HAVE_X86
#define R1_AVX2 __attribute__((target("avx2,fma")))

// exp(x) for 8 lanes (Cephes polynomial, ~1 ulp) for x >= -87.3; below, where expf
// underflows, it returns about 1e-38 instead of less, which no softmax sum can see.
R1_AVX2 inline __m256 exp_avx2(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.37f));
  const __m256 fx = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
  __m256 y = _mm256_set1_ps(1.9875691500e-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
  const __m256i e =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

R1_AVX2 inline float hmax_avx2(__m256 v) {
  __m128 x = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  x = _mm_max_ps(x, _mm_movehl_ps(x, x));
  x = _mm_max_ss(x, _mm_shuffle_ps(x, x, 1));
  return _mm_cvtss_f32(x);
}

R1_AVX2 inline float hsum_avx2(__m256 v) {
  __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  x = _mm_add_ps(x, _mm_movehl_ps(x, x));
  x = _mm_add_ss(x, _mm_shuffle_ps(x, x, 1));
  return _mm_cvtss_f32(x);
}

// Lanes j0 .. j0+7 that are < valid.
R1_AVX2 inline __m256 valid_mask(int j0, int valid) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_castsi256_ps(
      _mm256_cmpgt_epi32(_mm256_set1_epi32(valid - j0), lane));
}

// R rows × 8·NV columns held in registers for the whole k loop.
template <int R, int NV>
R1_AVX2 inline void gemm_block_avx2(int k, const float* a, int64_t ars, int64_t acs,
                                    const float* b, int64_t ldb, float* c, int64_t ldc,
                                    bool accumulate) {
  __m256 acc[R][NV];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v)
      acc[r][v] = accumulate ? _mm256_loadu_ps(c + r * ldc + 8 * v) : _mm256_setzero_ps();
  for (int p = 0; p < k; ++p) {
    __m256 bv[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) bv[v] = _mm256_loadu_ps(b + p * ldb + 8 * v);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m256 av = _mm256_broadcast_ss(a + r * ars + p * acs);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_fmadd_ps(av, bv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) _mm256_storeu_ps(c + r * ldc + 8 * v, acc[r][v]);
}

template <int NV>
R1_AVX2 inline void gemm_panel_avx2(int m, int k, const float* a, int64_t ars, int64_t acs,
                                    const float* b, int64_t ldb, float* c, int64_t ldc,
                                    bool accumulate) {
  int r = 0;
  for (; r + 6 <= m; r += 6)
    gemm_block_avx2<6, NV>(k, a + r * ars, ars, acs, b, ldb, c + r * ldc, ldc, accumulate);
  const float* ar = a + r * ars;
  float* cr = c + r * ldc;
  switch (m - r) {
    case 5: gemm_block_avx2<5, NV>(k, ar, ars, acs, b, ldb, cr, ldc, accumulate); break;
    case 4: gemm_block_avx2<4, NV>(k, ar, ars, acs, b, ldb, cr, ldc, accumulate); break;
    case 3: gemm_block_avx2<3, NV>(k, ar, ars, acs, b, ldb, cr, ldc, accumulate); break;
    case 2: gemm_block_avx2<2, NV>(k, ar, ars, acs, b, ldb, cr, ldc, accumulate); break;
    case 1: gemm_block_avx2<1, NV>(k, ar, ars, acs, b, ldb, cr, ldc, accumulate); break;
    default: break;
  }
}

R1_AVX2 void gemm_avx2(int m, int n, int k, const float* a, int64_t ars, int64_t acs,
                       const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate) {
  int j = 0;
  for (; j + 16 <= n; j += 16)
    gemm_panel_avx2<2>(m, k, a, ars, acs, b + j, ldb, c + j, ldc, accumulate);
  if (j < n) gemm_panel_avx2<1>(m, k, a, ars, acs, b + j, ldb, c + j, ldc, accumulate);
}

R1_AVX2 float softmax_avx2(float* s, int n, int valid, float scale, float* m, float* l) {
  const __m256 vscale = _mm256_set1_ps(scale), neg_inf = _mm256_set1_ps(kNegInf);
  __m256 vmax = neg_inf;
  for (int j = 0; j < n; j += 8) {
    const __m256 x = _mm256_mul_ps(_mm256_loadu_ps(s + j), vscale);
    vmax = _mm256_max_ps(vmax, _mm256_blendv_ps(neg_inf, x, valid_mask(j, valid)));
  }
  const float tile_max = hmax_avx2(vmax);
  if (tile_max == kNegInf) {
    std::fill(s, s + n, 0.0f);
    return 1.0f;
  }
  const float m_new = std::max(*m, tile_max);
  const float alpha = std::exp(*m - m_new);
  const __m256 vm = _mm256_set1_ps(m_new);
  __m256 vsum = _mm256_setzero_ps();
  for (int j = 0; j < n; j += 8) {
    __m256 p = exp_avx2(_mm256_fmsub_ps(_mm256_loadu_ps(s + j), vscale, vm));
    p = _mm256_and_ps(p, valid_mask(j, valid));
    _mm256_storeu_ps(s + j, p);
    vsum = _mm256_add_ps(vsum, p);
  }
  *l = *l * alpha + hsum_avx2(vsum);
  *m = m_new;
  return alpha;
}

R1_AVX2 void probs_avx2(float* s, int n, int valid, float scale, float lse) {
  const __m256 vscale = _mm256_set1_ps(scale), vlse = _mm256_set1_ps(lse);
  for (int j = 0; j < n; j += 8) {
    __m256 p = exp_avx2(_mm256_fmsub_ps(_mm256_loadu_ps(s + j), vscale, vlse));
    _mm256_storeu_ps(s + j, _mm256_and_ps(p, valid_mask(j, valid)));
  }
}
#endif  // R1_HAVE_X86

}  // namespace

const TileOps& tile_ops() {
  static const TileOps chosen = [] {
#ifdef R1_HAVE_X86
    if (cpu_has_avx2_fma()) return TileOps{gemm_avx2, softmax_avx2, probs_avx2};
#endif
    return TileOps{gemm_portable, softmax_portable, probs_portable};
  }();
  return chosen;
}

}  // namespace r1::attention_tiles

