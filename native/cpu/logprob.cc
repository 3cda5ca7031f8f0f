/* Fused LM head + log-softmax + gather on the CPU.
 *
 * Forward: for each block of token rows and each chunk of vocabulary rows,
 *   scratch (nb, cb) = hidden_blk (nb, D) · weight_chunkᵀ (cb, D) / temperature
 * then an online log-sum-exp per row (running max m, Σ exp(z - m) and, for the
 * entropy, Σ exp(z - m)·(z - m)) and the target logit when it falls in the chunk.
 * Backward: the same loop over the rows with dlogp != 0; each chunk of logits is
 * recomputed from lse, turned into G = dlogp·(onehot - p)/temperature in place,
 * then dhidden_blk += G · weight_chunk and dweight_chunk += Gᵀ · hidden_blk.
 *
 * Extra memory is O(kTokenBlock × vocab_chunk + kTokenBlock × D). The products
 * go through r1::sgemm (threaded); the elementwise passes are split over rows
 * and use an AVX2 exp when the CPU has it.
 */
#include "../kernels/logprob.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define R1_LOGPROB_X86 1
#endif

#include "../common/cpu_features.h"
#include "../common/thread_pool.h"
#include "../kernels/matmul.h"

namespace r1 {
namespace {

constexpr int64_t kTokenBlock = 256;
constexpr int64_t kDefaultVocabChunk = 4096;
constexpr int64_t kRowGrain = 4;  // rows per parallel range at least

// Sums over one chunk row, relative to the row's running max m.
struct ChunkSums {
  double sum_exp = 0;    // Σ exp(z - m)
  double sum_exp_d = 0;  // Σ exp(z - m)·(z - m)
};

// ---- portable row helpers -------------------------------------------------

float row_max_portable(const float* z, int64_t n) {
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < n; ++j) m = std::max(m, z[j]);
  return m;
}

ChunkSums row_sums_portable(const float* z, int64_t n, float m, bool with_dot) {
  ChunkSums out;
  for (int64_t j = 0; j < n; ++j) {
    float d = z[j] - m;
    float e = std::exp(d);
    out.sum_exp += e;
    if (with_dot) out.sum_exp_d += double(e) * d;
  }
  return out;
}

// z[j] <- -scale · exp(z[j] - lse)
void row_grad_portable(float* z, int64_t n, float lse, float scale) {
  for (int64_t j = 0; j < n; ++j) z[j] = -scale * std::exp(z[j] - lse);
}

// ---- AVX2/FMA row helpers -------------------------------------------------

#ifdef R1_LOGPROB_X86

// exp(x) for 8 floats (Cephes-style: x = n·ln2 + r, degree-5 polynomial in r,
// scale by 2^n). Inputs are clamped to the normal range, so exp of very
// negative x gives ~1e-38 rather than 0, which no sum here can tell apart.
__attribute__((target("avx2,fma"))) inline __m256 exp8(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3365447504f)),
                    _mm256_set1_ps(88.3762626647949f));
  __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
  return _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32(e, 23)));
}

__attribute__((target("avx2,fma"))) inline double hsum(__m256 v) {
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, v);
  double s = 0;
  for (float x : lanes) s += x;
  return s;
}

__attribute__((target("avx2,fma"))) float row_max_avx2(const float* z, int64_t n) {
  __m256 m0 = _mm256_set1_ps(-std::numeric_limits<float>::infinity()), m1 = m0;
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    m0 = _mm256_max_ps(m0, _mm256_loadu_ps(z + j));
    m1 = _mm256_max_ps(m1, _mm256_loadu_ps(z + j + 8));
  }
  for (; j + 8 <= n; j += 8) m0 = _mm256_max_ps(m0, _mm256_loadu_ps(z + j));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, _mm256_max_ps(m0, m1));
  float m = lanes[0];
  for (int k = 1; k < 8; ++k) m = std::max(m, lanes[k]);
  for (; j < n; ++j) m = std::max(m, z[j]);
  return m;
}

__attribute__((target("avx2,fma"))) ChunkSums row_sums_avx2(const float* z, int64_t n, float m,
                                                           bool with_dot) {
  const __m256 vm = _mm256_set1_ps(m);
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, t0 = s0, t1 = s0;
  int64_t j = 0;
  if (with_dot) {
    for (; j + 16 <= n; j += 16) {
      __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(z + j), vm);
      __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(z + j + 8), vm);
      __m256 e0 = exp8(d0), e1 = exp8(d1);
      s0 = _mm256_add_ps(s0, e0);
      s1 = _mm256_add_ps(s1, e1);
      t0 = _mm256_fmadd_ps(e0, d0, t0);
      t1 = _mm256_fmadd_ps(e1, d1, t1);
    }
  } else {
    for (; j + 16 <= n; j += 16) {
      s0 = _mm256_add_ps(s0, exp8(_mm256_sub_ps(_mm256_loadu_ps(z + j), vm)));
      s1 = _mm256_add_ps(s1, exp8(_mm256_sub_ps(_mm256_loadu_ps(z + j + 8), vm)));
    }
  }
  ChunkSums out;
  out.sum_exp = hsum(_mm256_add_ps(s0, s1));
  out.sum_exp_d = hsum(_mm256_add_ps(t0, t1));
  ChunkSums tail = row_sums_portable(z + j, n - j, m, with_dot);
  out.sum_exp += tail.sum_exp;
  out.sum_exp_d += tail.sum_exp_d;
  return out;
}

__attribute__((target("avx2,fma"))) void row_grad_avx2(float* z, int64_t n, float lse,
                                                      float scale) {
  const __m256 vl = _mm256_set1_ps(lse), vs = _mm256_set1_ps(-scale);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    __m256 p = exp8(_mm256_sub_ps(_mm256_loadu_ps(z + j), vl));
    _mm256_storeu_ps(z + j, _mm256_mul_ps(vs, p));
  }
  row_grad_portable(z + j, n - j, lse, scale);
}

#endif  // R1_LOGPROB_X86

struct RowOps {
  float (*max)(const float*, int64_t);
  ChunkSums (*sums)(const float*, int64_t, float, bool);
  void (*grad)(float*, int64_t, float, float);
};

RowOps row_ops() {
#ifdef R1_LOGPROB_X86
  if (cpu_has_avx2_fma()) return {row_max_avx2, row_sums_avx2, row_grad_avx2};
#endif
  return {row_max_portable, row_sums_portable, row_grad_portable};
}

int64_t chunk_rows(const LogprobShape& s) {
  int64_t c = s.vocab_chunk > 0 ? s.vocab_chunk : kDefaultVocabChunk;
  return std::min(c, s.vocab_size);
}

}  // namespace

void logprob_forward(float* logp, float* lse, float* entropy, const float* hidden,
                     const float* weight, const int32_t* targets, const LogprobShape& shape) {
  const int64_t N = shape.num_tokens, D = shape.hidden_dim, V = shape.vocab_size;
  if (N <= 0) return;
  const int64_t C = chunk_rows(shape);
  const float inv_t = 1.0f / shape.temperature;
  const RowOps ops = row_ops();
  const bool with_entropy = entropy != nullptr;

  const int64_t block = std::min(kTokenBlock, N);
  std::vector<float> scratch(static_cast<size_t>(block * C));  // (block, C)
  // Per-row online state: running max, Σ exp(z - m), Σ exp(z - m)(z - m), target logit.
  std::vector<float> run_max(block), target_logit(block);
  std::vector<double> run_sum(block), run_dot(block);

  for (int64_t b0 = 0; b0 < N; b0 += block) {
    const int64_t nb = std::min(block, N - b0);
    std::fill(run_max.begin(), run_max.end(), -std::numeric_limits<float>::infinity());
    std::fill(run_sum.begin(), run_sum.end(), 0.0);
    std::fill(run_dot.begin(), run_dot.end(), 0.0);
    for (int64_t c0 = 0; c0 < V; c0 += C) {
      const int64_t cb = std::min(C, V - c0);
      // scratch (nb, cb) = hidden_blk (nb, D) · weight_chunkᵀ / temperature
      sgemm(false, true, nb, cb, D, inv_t, hidden + b0 * D, D, weight + c0 * D, D, 0.0f,
            scratch.data(), cb);
      parallel_for(nb, kRowGrain, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i) {
          const float* z = scratch.data() + i * cb;
          float m_new = std::max(run_max[i], ops.max(z, cb));
          if (m_new > run_max[i] && run_sum[i] > 0) {
            // Re-base the sums from the old max to the new one.
            double shift = double(run_max[i]) - m_new, f = std::exp(shift);
            run_dot[i] = f * (run_dot[i] + shift * run_sum[i]);
            run_sum[i] *= f;
          }
          run_max[i] = m_new;
          ChunkSums cs = ops.sums(z, cb, m_new, with_entropy);
          run_sum[i] += cs.sum_exp;
          run_dot[i] += cs.sum_exp_d;
          int64_t y = targets[b0 + i];
          if (y >= c0 && y < c0 + cb) target_logit[i] = z[y - c0];
        }
      });
    }
    for (int64_t i = 0; i < nb; ++i) {
      double log_sum = std::log(run_sum[i]);
      double l = run_max[i] + log_sum;
      lse[b0 + i] = static_cast<float>(l);
      logp[b0 + i] = static_cast<float>(target_logit[i] - l);
      // H = lse - E[z] = log Σ e^(z-m) - Σ e^(z-m)(z-m) / Σ e^(z-m)
      if (with_entropy) entropy[b0 + i] = static_cast<float>(log_sum - run_dot[i] / run_sum[i]);
    }
  }
}

void logprob_backward(float* dhidden, float* dweight, const float* dlogp, const float* hidden,
                      const float* weight, const int32_t* targets, const float* lse,
                      const LogprobShape& shape) {
  const int64_t N = shape.num_tokens, D = shape.hidden_dim, V = shape.vocab_size;
  if (N <= 0) return;
  const int64_t C = chunk_rows(shape);
  const float inv_t = 1.0f / shape.temperature;
  const RowOps ops = row_ops();

  // Rows with a gradient; the others get dhidden = 0 and cost nothing.
  std::vector<int64_t> active;
  for (int64_t n = 0; n < N; ++n) {
    if (dlogp[n] != 0.0f) {
      active.push_back(n);
    } else {
      std::memset(dhidden + n * D, 0, sizeof(float) * D);
    }
  }
  const int64_t A = static_cast<int64_t>(active.size());
  if (A == 0) return;

  const int64_t block = std::min(kTokenBlock, A);
  std::vector<float> scratch(static_cast<size_t>(block * C));  // (block, C): z, then G
  std::vector<float> h_blk(static_cast<size_t>(block * D));    // (block, D) gathered rows
  std::vector<float> dh_blk(static_cast<size_t>(block * D));   // (block, D)

  for (int64_t b0 = 0; b0 < A; b0 += block) {
    const int64_t nb = std::min(block, A - b0);
    const int64_t* rows = active.data() + b0;
    for (int64_t i = 0; i < nb; ++i) {
      std::memcpy(h_blk.data() + i * D, hidden + rows[i] * D, sizeof(float) * D);
    }
    for (int64_t c0 = 0; c0 < V; c0 += C) {
      const int64_t cb = std::min(C, V - c0);
      // scratch (nb, cb) = h_blk · weight_chunkᵀ / temperature
      sgemm(false, true, nb, cb, D, inv_t, h_blk.data(), D, weight + c0 * D, D, 0.0f,
            scratch.data(), cb);
      // G = dlogp · (onehot(y) - softmax(z)) / temperature, in place
      parallel_for(nb, kRowGrain, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i) {
          const int64_t n = rows[i];
          float* g = scratch.data() + i * cb;
          const float scale = dlogp[n] * inv_t;
          ops.grad(g, cb, lse[n], scale);
          int64_t y = targets[n];
          if (y >= c0 && y < c0 + cb) g[y - c0] += scale;
        }
      });
      // dh_blk (nb, D) (+)= G (nb, cb) · weight_chunk (cb, D)
      sgemm(false, false, nb, D, cb, 1.0f, scratch.data(), cb, weight + c0 * D, D,
            c0 == 0 ? 0.0f : 1.0f, dh_blk.data(), D);
      // dweight_chunk (cb, D) += Gᵀ (cb, nb) · h_blk (nb, D)
      sgemm(true, false, cb, D, nb, 1.0f, scratch.data(), cb, h_blk.data(), D, 1.0f,
            dweight + c0 * D, D);
    }
    for (int64_t i = 0; i < nb; ++i) {
      std::memcpy(dhidden + rows[i] * D, dh_blk.data() + i * D, sizeof(float) * D);
    }
  }
}

}  // namespace r1
