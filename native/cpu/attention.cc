/* CPU causal grouped-query attention: forward, backward and KV-cache decode.
 *
 * Work is cut into tiles. A tile's query rows are (token, head-in-group) pairs
 * of one KV group, token-major, so each K/V tile is packed once for all the
 * query heads that read it. Per tile the work is a few small products,
 *   S = Q·Kᵀ, O += P·V                         (forward)
 *   S, dP = dO·Vᵀ, dV += Pᵀ·dO, dK += dSᵀ·Q, dQ += dS·K   (backward)
 * done by one register-blocked micro-kernel (AVX2/FMA when the CPU has it,
 * portable loops otherwise). K and V tiles are packed with zero padding so
 * every product has a column count that is a multiple of 8.
 *
 * Tasks go to the thread pool through a shared counter (dynamic schedule,
 * largest first). Each task writes only its own outputs and sums in a fixed
 * order, so results do not depend on which thread runs which task.
 */
#include "../kernels/attention.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <numeric>
#include <vector>

#include "../common/cpu_features.h"
#include "../common/thread_pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define R1_HAVE_X86 1
#endif

namespace r1 {
namespace {

constexpr int kKeyBlock = 64;  // keys per tile; a multiple of every query block
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

int round8(int n) { return (n + 7) & ~7; }

// C (m, n) (+)= A (m, k) · B (k, n). A(r, p) is a[r*ars + p*acs], so a transposed A
// is just other strides. n is a multiple of 8.
using GemmFn = void (*)(int m, int n, int k, const float* a, int64_t ars, int64_t acs,
                        const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate);
// Forward online-softmax step on one row of raw scores s (n, padded): scales, masks
// j >= valid, replaces s by exp(x - m_new), updates running max m and sum l.
// Returns the factor alpha = exp(m_old - m_new) that rescales the row's output.
using SoftmaxFn = float (*)(float* s, int n, int valid, float scale, float* m, float* l);
// Backward: s (n) of raw scores becomes P = exp(scale·s - lse), zero for j >= valid.
using ProbsFn = void (*)(float* s, int n, int valid, float scale, float lse);

struct Ops {
  GemmFn gemm;
  SoftmaxFn softmax;
  ProbsFn probs;
};

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

// exp(x) for 8 lanes (Cephes polynomial, ~1 ulp); 0 below -87.3, where expf underflows.
R1_AVX2 inline __m256 exp_avx2(__m256 x) {
  const __m256 lo = _mm256_set1_ps(-87.3f);
  const __m256 underflow = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
  x = _mm256_min_ps(_mm256_max_ps(x, lo), _mm256_set1_ps(88.37f));
  __m256 fx = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f),
                                              _mm256_set1_ps(0.5f)));
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
  __m256 y = _mm256_set1_ps(1.9875691500e-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
  __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(underflow, _mm256_mul_ps(y, _mm256_castsi256_ps(e)));
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
    __m256 x = _mm256_mul_ps(_mm256_loadu_ps(s + j), vscale);
    x = _mm256_blendv_ps(neg_inf, x, valid_mask(j, valid));
    _mm256_storeu_ps(s + j, x);
    vmax = _mm256_max_ps(vmax, x);
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
    // Masked lanes hold -inf: exp_avx2 maps them to 0.
    __m256 p = exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(s + j), vm));
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

const Ops& ops() {
  static const Ops chosen = [] {
#ifdef R1_HAVE_X86
    if (cpu_has_avx2_fma()) return Ops{gemm_avx2, softmax_avx2, probs_avx2};
#endif
    return Ops{gemm_portable, softmax_portable, probs_portable};
  }();
  return chosen;
}

// ---- tiling helpers ----------------------------------------------------------------

// Query tokens per tile: a power of two dividing kKeyBlock, so a query tile never
// straddles a key tile, with about 128 (token, head) rows per tile.
int query_block(int group) {
  int bq = kKeyBlock;
  while (bq > 1 && bq * group > 128) bq /= 2;
  return bq;
}

// Runs fn(task, scratch) for every task in `order`, handing tasks out through a shared
// counter. Scratch is per thread, created inside the range callback.
template <class Scratch, class Fn>
void run_dynamic(const std::vector<int64_t>& order, Fn&& fn) {
  const int64_t count = static_cast<int64_t>(order.size());
  if (count == 0) return;
  std::atomic<int64_t> next{0};
  const int64_t workers = std::min<int64_t>(num_threads(), count);
  parallel_for(workers, 1, [&](int64_t, int64_t) {
    Scratch scratch;
    for (int64_t i; (i = next.fetch_add(1)) < count;) fn(order[i], scratch);
  });
}

// Task indices sorted by decreasing cost (stable, so the order is reproducible).
std::vector<int64_t> largest_first(const std::vector<double>& cost) {
  std::vector<int64_t> order(cost.size());
  std::iota(order.begin(), order.end(), int64_t(0));
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return cost[a] > cost[b]; });
  return order;
}

// Packs keys [k0, k0+nv) of one KV head: transposed kt (Dh, kKeyBlock) and/or row-major
// rows (n, dhp) with zero padding (columns >= Dh, keys nv .. n), so padded lanes are 0.
void pack_keys(float* kt, float* rows, const float* src, int64_t stride, int nv, int n, int dh,
               int dhp) {
  if (kt) {
    for (int d = 0; d < dh; ++d) {
      float* dst = kt + d * kKeyBlock;
      for (int j = 0; j < nv; ++j) dst[j] = src[j * stride + d];
      std::fill(dst + nv, dst + n, 0.0f);
    }
  }
  if (rows) {
    for (int j = 0; j < n; ++j) {
      float* dst = rows + j * dhp;
      if (j < nv) {
        std::memcpy(dst, src + j * stride, sizeof(float) * dh);
        std::fill(dst + dh, dst + dhp, 0.0f);
      } else {
        std::fill(dst, dst + dhp, 0.0f);
      }
    }
  }
}

// Copies nt tokens × g heads of a (tokens, heads, Dh) tensor into rows (nt·g, dhp).
void load_rows(float* rows, const float* src, int64_t token_stride, int nt, int g, int dh,
               int dhp) {
  for (int t = 0; t < nt; ++t) {
    for (int h = 0; h < g; ++h) {
      float* dst = rows + (t * g + h) * dhp;
      std::memcpy(dst, src + t * token_stride + h * dh, sizeof(float) * dh);
      std::fill(dst + dh, dst + dhp, 0.0f);
    }
  }
}

// ---- forward -----------------------------------------------------------------------

struct ForwardScratch {
  std::vector<float> q, o, s, kt, v, m, l;
  void reserve(int rows, int dhp) {
    q.resize(rows * dhp);
    o.resize(rows * dhp);
    s.resize(rows * kKeyBlock);
    kt.resize(dhp * kKeyBlock);
    v.resize(kKeyBlock * dhp);
    m.resize(rows);
    l.resize(rows);
  }
};

// One query tile: nt tokens at sequence positions pos0 .. pos0+nt-1, g heads each,
// against keys 0 .. pos0+nt-1 of one KV head. Pointers address the first token and
// the group's first head; row (t, h) of q/out is at t*q_stride + h*Dh.
struct QueryTile {
  const float* q;
  float* out;
  float* lse;            // may be null; row (t, h) at t*lse_stride + h
  int64_t q_stride, lse_stride;
  int nt;
  int64_t pos0;
  const float* k;        // key position 0 of this KV head
  const float* v;
  int64_t kv_stride;
};

void forward_tile(const QueryTile& tile, int g, int dh, float scale, ForwardScratch& ws) {
  const Ops& op = ops();
  const int dhp = round8(dh), rows = tile.nt * g;
  ws.reserve(rows, dhp);
  load_rows(ws.q.data(), tile.q, tile.q_stride, tile.nt, g, dh, dhp);
  std::fill(ws.o.begin(), ws.o.begin() + rows * dhp, 0.0f);
  std::fill(ws.m.begin(), ws.m.begin() + rows, kNegInf);
  std::fill(ws.l.begin(), ws.l.begin() + rows, 0.0f);
  const int64_t num_keys = tile.pos0 + tile.nt;
  for (int64_t k0 = 0; k0 < num_keys; k0 += kKeyBlock) {
    const int nv = static_cast<int>(std::min<int64_t>(kKeyBlock, num_keys - k0));
    const int n = round8(nv);
    pack_keys(ws.kt.data(), nullptr, tile.k + k0 * tile.kv_stride, tile.kv_stride, nv, n, dh, dhp);
    pack_keys(nullptr, ws.v.data(), tile.v + k0 * tile.kv_stride, tile.kv_stride, nv, n, dh, dhp);
    // S (rows, n) = Q (rows, Dh) · Kᵀ (Dh, n)
    op.gemm(rows, n, dh, ws.q.data(), dhp, 1, ws.kt.data(), kKeyBlock, ws.s.data(), kKeyBlock,
            false);
    for (int r = 0; r < rows; ++r) {
      const int64_t visible = tile.pos0 + r / g - k0 + 1;  // causal: keys <= own position
      const int valid = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(nv, visible)));
      const float alpha = op.softmax(ws.s.data() + r * kKeyBlock, n, valid, scale, &ws.m[r],
                                     &ws.l[r]);
      if (alpha != 1.0f) {
        float* orow = ws.o.data() + r * dhp;
        for (int d = 0; d < dhp; ++d) orow[d] *= alpha;
      }
    }
    // O (rows, Dh) += P (rows, n) · V (n, Dh)
    op.gemm(rows, dhp, n, ws.s.data(), kKeyBlock, 1, ws.v.data(), dhp, ws.o.data(), dhp, true);
  }
  for (int t = 0; t < tile.nt; ++t) {
    for (int h = 0; h < g; ++h) {
      const int r = t * g + h;
      const float inv = 1.0f / ws.l[r];
      float* dst = tile.out + t * tile.q_stride + h * dh;
      const float* orow = ws.o.data() + r * dhp;
      for (int d = 0; d < dh; ++d) dst[d] = orow[d] * inv;
      if (tile.lse) tile.lse[t * tile.lse_stride + h] = ws.m[r] + std::log(ws.l[r]);
    }
  }
}

}  // namespace

void attention_forward(float* out, float* lse, const float* q, const float* k, const float* v,
                       const AttentionShape& shape) {
  const int H = shape.num_heads, Hkv = shape.num_kv_heads, dh = shape.head_dim;
  const int g = H / Hkv, bq = query_block(g);
  struct Task {
    int64_t seq, q0;
    int hkv;
  };
  std::vector<Task> tasks;
  std::vector<double> cost;
  for (int64_t s = 0; s < shape.num_seqs; ++s) {
    const int64_t len = shape.cu_seqlens[s + 1] - shape.cu_seqlens[s];
    for (int hkv = 0; hkv < Hkv; ++hkv) {
      for (int64_t q0 = 0; q0 < len; q0 += bq) {
        tasks.push_back({s, q0, hkv});
        cost.push_back(static_cast<double>(std::min<int64_t>(q0 + bq, len)));
      }
    }
  }
  run_dynamic<ForwardScratch>(largest_first(cost), [&](int64_t i, ForwardScratch& ws) {
    const Task& task = tasks[i];
    const int64_t t0 = shape.cu_seqlens[task.seq], len = shape.cu_seqlens[task.seq + 1] - t0;
    const int64_t tok = t0 + task.q0;
    QueryTile tile;
    tile.q = q + (tok * H + task.hkv * g) * dh;
    tile.out = out + (tok * H + task.hkv * g) * dh;
    tile.lse = lse + tok * H + task.hkv * g;
    tile.q_stride = int64_t(H) * dh;
    tile.lse_stride = H;
    tile.nt = static_cast<int>(std::min<int64_t>(bq, len - task.q0));
    tile.pos0 = task.q0;
    tile.k = k + (t0 * Hkv + task.hkv) * dh;
    tile.v = v + (t0 * Hkv + task.hkv) * dh;
    tile.kv_stride = int64_t(Hkv) * dh;
    forward_tile(tile, g, dh, shape.scale, ws);
  });
}

void attention_decode_forward(float* out, float* lse, const float* q, const float* k_cache,
                              const float* v_cache, const AttentionDecodeShape& shape) {
  const int H = shape.num_heads, Hkv = shape.num_kv_heads, dh = shape.head_dim;
  const int g = H / Hkv;
  std::vector<double> cost;
  for (int64_t s = 0; s < shape.num_seqs; ++s)
    for (int hkv = 0; hkv < Hkv; ++hkv) cost.push_back(shape.cache_lens[s]);
  run_dynamic<ForwardScratch>(largest_first(cost), [&](int64_t i, ForwardScratch& ws) {
    const int64_t s = i / Hkv;
    const int hkv = static_cast<int>(i % Hkv);
    const int64_t cache_base = (s * shape.cache_capacity * Hkv + hkv) * dh;
    QueryTile tile;
    tile.q = q + (s * H + hkv * g) * dh;
    tile.out = out + (s * H + hkv * g) * dh;
    tile.lse = lse ? lse + s * H + hkv * g : nullptr;
    tile.q_stride = int64_t(H) * dh;
    tile.lse_stride = H;
    tile.nt = 1;
    tile.pos0 = shape.cache_lens[s] - 1;  // the new token sees the whole valid cache
    tile.k = k_cache + cache_base;
    tile.v = v_cache + cache_base;
    tile.kv_stride = int64_t(Hkv) * dh;
    forward_tile(tile, g, dh, shape.scale, ws);
  });
}

// ---- backward ----------------------------------------------------------------------
namespace {

struct BackwardScratch {
  std::vector<float> kt, vt, krows, dk, dv;  // per task: all packed key tiles
  std::vector<float> q, dout, dq, p, ds, delta, lse;
};

// A backward task for one (sequence, KV head): query tiles [qb_lo, qb_hi) against key
// tiles [kb_lo, kb_hi). It writes dq for its query tiles when want_dq, and dk/dv for its
// key tiles when want_dkv. Fused tasks cover everything and want both; split tasks
// give the dq and the dk/dv halves to separate tasks when fused ones would not balance.
struct BackwardTask {
  int64_t seq;
  int hkv;
  int64_t qb_lo, qb_hi, kb_lo, kb_hi;
  bool want_dq, want_dkv;
};

struct BackwardArgs {
  float *dq, *dk, *dv;
  const float *dout, *q, *k, *v, *out, *lse;
  const AttentionShape* shape;
  int g, bq;
};

void backward_task(const BackwardArgs& a, const BackwardTask& task, BackwardScratch& ws) {
  const Ops& op = ops();
  const AttentionShape& shape = *a.shape;
  const int H = shape.num_heads, Hkv = shape.num_kv_heads, dh = shape.head_dim, g = a.g;
  const int dhp = round8(dh), max_rows = a.bq * g;
  const float scale = shape.scale;
  const int64_t t0 = shape.cu_seqlens[task.seq], len = shape.cu_seqlens[task.seq + 1] - t0;
  const int64_t kv_stride = int64_t(Hkv) * dh, q_stride = int64_t(H) * dh;
  const int64_t kv_off = (t0 * Hkv + task.hkv) * dh;
  const int64_t tiles = task.kb_hi - task.kb_lo;
  const size_t tile_t = size_t(dhp) * kKeyBlock;  // floats per packed key tile
  ws.kt.resize(tiles * tile_t);
  ws.vt.resize(tiles * tile_t);
  if (task.want_dq) ws.krows.resize(tiles * tile_t);
  if (task.want_dkv) {
    ws.dk.assign(tiles * tile_t, 0.0f);
    ws.dv.assign(tiles * tile_t, 0.0f);
  }
  for (int64_t b = 0; b < tiles; ++b) {
    const int64_t k0 = (task.kb_lo + b) * kKeyBlock;
    const int nv = static_cast<int>(std::min<int64_t>(kKeyBlock, len - k0));
    const int n = round8(nv);
    pack_keys(ws.kt.data() + b * tile_t, task.want_dq ? ws.krows.data() + b * tile_t : nullptr,
              a.k + kv_off + k0 * kv_stride, kv_stride, nv, n, dh, dhp);
    pack_keys(ws.vt.data() + b * tile_t, nullptr, a.v + kv_off + k0 * kv_stride, kv_stride, nv, n,
              dh, dhp);
  }
  ws.q.resize(max_rows * dhp);
  ws.dout.resize(max_rows * dhp);
  ws.dq.resize(max_rows * dhp);
  ws.p.resize(max_rows * kKeyBlock);
  ws.ds.resize(max_rows * kKeyBlock);
  ws.delta.resize(max_rows);
  ws.lse.resize(max_rows);

  for (int64_t qb = task.qb_lo; qb < task.qb_hi; ++qb) {
    const int64_t q0 = qb * a.bq;
    const int nt = static_cast<int>(std::min<int64_t>(a.bq, len - q0));
    const int rows = nt * g;
    const int64_t head_off = ((t0 + q0) * H + task.hkv * g) * dh;
    load_rows(ws.q.data(), a.q + head_off, q_stride, nt, g, dh, dhp);
    load_rows(ws.dout.data(), a.dout + head_off, q_stride, nt, g, dh, dhp);
    for (int t = 0; t < nt; ++t) {
      for (int h = 0; h < g; ++h) {
        const int r = t * g + h;
        const float* o = a.out + head_off + t * q_stride + h * dh;
        const float* d_o = ws.dout.data() + r * dhp;
        float acc = 0;  // D = rowsum(dO ∘ O)
        for (int d = 0; d < dh; ++d) acc += d_o[d] * o[d];
        ws.delta[r] = acc;
        ws.lse[r] = a.lse[(t0 + q0 + t) * H + task.hkv * g + h];
      }
    }
    if (task.want_dq) std::fill(ws.dq.begin(), ws.dq.begin() + rows * dhp, 0.0f);
    const int64_t last = q0 + nt - 1;
    const int64_t kb_end = std::min<int64_t>(task.kb_hi, last / kKeyBlock + 1);
    for (int64_t kb = task.kb_lo; kb < kb_end; ++kb) {
      const int64_t k0 = kb * kKeyBlock;
      const int nv = static_cast<int>(std::min<int64_t>(kKeyBlock, last + 1 - k0));
      const int n = round8(nv);
      const size_t off = size_t(kb - task.kb_lo) * tile_t;
      float *p = ws.p.data(), *ds = ws.ds.data();
      // P (rows, n) = exp(scale · Q·Kᵀ - lse), causal
      op.gemm(rows, n, dh, ws.q.data(), dhp, 1, ws.kt.data() + off, kKeyBlock, p, kKeyBlock,
              false);
      for (int r = 0; r < rows; ++r) {
        const int64_t visible = q0 + r / g - k0 + 1;
        const int valid = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(nv, visible)));
        op.probs(p + r * kKeyBlock, n, valid, scale, ws.lse[r]);
      }
      // dP (rows, n) = dO · Vᵀ; dS = P ∘ (dP - D)
      op.gemm(rows, n, dh, ws.dout.data(), dhp, 1, ws.vt.data() + off, kKeyBlock, ds, kKeyBlock,
              false);
      for (int r = 0; r < rows; ++r) {
        const float* prow = p + r * kKeyBlock;
        float* dsrow = ds + r * kKeyBlock;
        const float delta = ws.delta[r];
        for (int j = 0; j < n; ++j) dsrow[j] = prow[j] * (dsrow[j] - delta);
      }
      if (task.want_dkv) {
        // dV (n, Dh) += Pᵀ · dO;  dK (n, Dh) += dSᵀ · Q  (scale applied at the end)
        op.gemm(n, dhp, rows, p, 1, kKeyBlock, ws.dout.data(), dhp, ws.dv.data() + off, dhp, true);
        op.gemm(n, dhp, rows, ds, 1, kKeyBlock, ws.q.data(), dhp, ws.dk.data() + off, dhp, true);
      }
      if (task.want_dq) {
        // dQ (rows, Dh) += dS · K
        op.gemm(rows, dhp, n, ds, kKeyBlock, 1, ws.krows.data() + off, dhp, ws.dq.data(), dhp,
                true);
      }
    }
    if (task.want_dq) {
      for (int t = 0; t < nt; ++t) {
        for (int h = 0; h < g; ++h) {
          float* dst = a.dq + head_off + t * q_stride + h * dh;
          const float* src = ws.dq.data() + (t * g + h) * dhp;
          for (int d = 0; d < dh; ++d) dst[d] = src[d] * scale;
        }
      }
    }
  }
  if (task.want_dkv) {
    for (int64_t b = 0; b < tiles; ++b) {
      const int64_t k0 = (task.kb_lo + b) * kKeyBlock;
      const int nv = static_cast<int>(std::min<int64_t>(kKeyBlock, len - k0));
      for (int j = 0; j < nv; ++j) {
        const size_t src = b * tile_t + size_t(j) * dhp;
        float* dkrow = a.dk + kv_off + (k0 + j) * kv_stride;
        float* dvrow = a.dv + kv_off + (k0 + j) * kv_stride;
        for (int d = 0; d < dh; ++d) {
          dkrow[d] = ws.dk[src + d] * scale;
          dvrow[d] = ws.dv[src + d];
        }
      }
    }
  }
}

// Longest-processing-time estimate: do whole-(sequence, KV head) tasks keep every
// thread busy to within 30% of an even split?
bool fused_tasks_balance(const std::vector<double>& cost, int threads) {
  if (threads <= 1) return true;
  std::vector<double> sorted = cost, load(threads, 0.0);
  std::sort(sorted.begin(), sorted.end(), std::greater<double>());
  for (double c : sorted) *std::min_element(load.begin(), load.end()) += c;
  const double total = std::accumulate(sorted.begin(), sorted.end(), 0.0);
  return *std::max_element(load.begin(), load.end()) <= 1.3 * total / threads;
}

}  // namespace

void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* q,
                        const float* k, const float* v, const float* out, const float* lse,
                        const AttentionShape& shape) {
  const int Hkv = shape.num_kv_heads, g = shape.num_heads / Hkv, bq = query_block(g);
  BackwardArgs args{dq, dk, dv, dout, q, k, v, out, lse, &shape, g, bq};
  std::vector<BackwardTask> tasks;
  std::vector<double> cost;
  for (int64_t s = 0; s < shape.num_seqs; ++s) {
    const int64_t len = shape.cu_seqlens[s + 1] - shape.cu_seqlens[s];
    if (len == 0) continue;
    const int64_t nqb = (len + bq - 1) / bq, nkb = (len + kKeyBlock - 1) / kKeyBlock;
    for (int hkv = 0; hkv < Hkv; ++hkv) {
      tasks.push_back({s, hkv, 0, nqb, 0, nkb, true, true});
      cost.push_back(double(len) * double(len) * g);
    }
  }
  if (!fused_tasks_balance(cost, num_threads())) {
    // Split: dq per query tile, dk/dv per key tile. More tasks, ~40% more arithmetic
    // (scores and dP are computed by both halves), but every thread gets work.
    std::vector<BackwardTask> fused;
    fused.swap(tasks);
    cost.clear();
    for (const BackwardTask& f : fused) {
      const int64_t len = shape.cu_seqlens[f.seq + 1] - shape.cu_seqlens[f.seq];
      for (int64_t qb = 0; qb < f.qb_hi; ++qb) {
        const int64_t keys = std::min<int64_t>(len, (qb + 1) * bq);  // keys this tile sees
        tasks.push_back({f.seq, f.hkv, qb, qb + 1, 0, (keys - 1) / kKeyBlock + 1, true, false});
        cost.push_back(3.0 * double(bq) * g * double(keys));
      }
      for (int64_t kb = 0; kb < f.kb_hi; ++kb) {
        const int64_t qb_lo = kb * kKeyBlock / bq;
        tasks.push_back({f.seq, f.hkv, qb_lo, f.qb_hi, kb, kb + 1, false, true});
        cost.push_back(4.0 * kKeyBlock * g * double(len - kb * kKeyBlock));
      }
    }
  }
  run_dynamic<BackwardScratch>(largest_first(cost), [&](int64_t i, BackwardScratch& ws) {
    backward_task(args, tasks[i], ws);
  });
}

}  // namespace r1
