#include "attention_ref.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace r1::ref {
namespace {

// Softmax probabilities of one query row q (Dh) against keys 0..n-1 at k + j*stride.
// Returns the log-sum-exp of the scaled scores.
double row_probs(std::vector<double>& p, const float* q, const float* k, int64_t stride,
                 int64_t n, int dh, double scale) {
  p.assign(n, 0.0);
  double mx = -INFINITY;
  for (int64_t j = 0; j < n; ++j) {
    double s = 0;
    for (int d = 0; d < dh; ++d) s += double(q[d]) * double(k[j * stride + d]);
    p[j] = s * scale;
    mx = std::max(mx, p[j]);
  }
  double sum = 0;
  for (int64_t j = 0; j < n; ++j) sum += std::exp(p[j] - mx);
  const double lse = mx + std::log(sum);
  for (int64_t j = 0; j < n; ++j) p[j] = std::exp(p[j] - lse);
  return lse;
}

}  // namespace

void attention_forward(std::vector<double>& out, std::vector<double>& lse, const float* q,
                       const float* k, const float* v, const AttentionShape& sh) {
  const int H = sh.num_heads, Hkv = sh.num_kv_heads, dh = sh.head_dim, g = H / Hkv;
  out.assign(sh.num_tokens * H * dh, 0.0);
  lse.assign(sh.num_tokens * H, 0.0);
  std::vector<double> p;
  for (int64_t s = 0; s < sh.num_seqs; ++s) {
    const int64_t t0 = sh.cu_seqlens[s], len = sh.cu_seqlens[s + 1] - t0;
    for (int64_t i = 0; i < len; ++i) {
      for (int h = 0; h < H; ++h) {
        const int64_t row = (t0 + i) * H + h;
        const int64_t kv = t0 * Hkv * dh + (h / g) * dh;
        lse[row] = row_probs(p, q + row * dh, k + kv, int64_t(Hkv) * dh, i + 1, dh, sh.scale);
        for (int64_t j = 0; j <= i; ++j)
          for (int d = 0; d < dh; ++d) out[row * dh + d] += p[j] * v[kv + j * Hkv * dh + d];
      }
    }
  }
}

void attention_backward(std::vector<double>& dq, std::vector<double>& dk, std::vector<double>& dv,
                        const float* dout, const float* q, const float* k, const float* v,
                        const AttentionShape& sh) {
  const int H = sh.num_heads, Hkv = sh.num_kv_heads, dh = sh.head_dim, g = H / Hkv;
  dq.assign(sh.num_tokens * H * dh, 0.0);
  dk.assign(sh.num_tokens * Hkv * dh, 0.0);
  dv.assign(sh.num_tokens * Hkv * dh, 0.0);
  std::vector<double> p, dp;
  for (int64_t s = 0; s < sh.num_seqs; ++s) {
    const int64_t t0 = sh.cu_seqlens[s], len = sh.cu_seqlens[s + 1] - t0;
    for (int64_t i = 0; i < len; ++i) {
      for (int h = 0; h < H; ++h) {
        const int64_t row = (t0 + i) * H + h, stride = int64_t(Hkv) * dh;
        const int64_t kv = t0 * stride + (h / g) * dh;
        row_probs(p, q + row * dh, k + kv, stride, i + 1, dh, sh.scale);
        dp.assign(i + 1, 0.0);
        double pdp = 0;
        for (int64_t j = 0; j <= i; ++j) {
          for (int d = 0; d < dh; ++d) dp[j] += double(dout[row * dh + d]) * v[kv + j * stride + d];
          pdp += p[j] * dp[j];
        }
        for (int64_t j = 0; j <= i; ++j) {
          const double ds = p[j] * (dp[j] - pdp) * sh.scale;
          for (int d = 0; d < dh; ++d) {
            dq[row * dh + d] += ds * k[kv + j * stride + d];
            dk[kv + j * stride + d] += ds * q[row * dh + d];
            dv[kv + j * stride + d] += p[j] * dout[row * dh + d];
          }
        }
      }
    }
  }
}

void attention_decode(std::vector<double>& out, std::vector<double>& lse, const float* q,
                      const float* k_cache, const float* v_cache,
                      const AttentionDecodeShape& sh) {
  const int H = sh.num_heads, Hkv = sh.num_kv_heads, dh = sh.head_dim, g = H / Hkv;
  out.assign(sh.num_seqs * H * dh, 0.0);
  lse.assign(sh.num_seqs * H, 0.0);
  std::vector<double> p;
  for (int64_t s = 0; s < sh.num_seqs; ++s) {
    const int64_t n = sh.cache_lens[s], stride = int64_t(Hkv) * dh;
    for (int h = 0; h < H; ++h) {
      const int64_t row = s * H + h;
      const int64_t kv = s * sh.cache_capacity * stride + (h / g) * dh;
      lse[row] = row_probs(p, q + row * dh, k_cache + kv, stride, n, dh, sh.scale);
      for (int64_t j = 0; j < n; ++j)
        for (int d = 0; d < dh; ++d) out[row * dh + d] += p[j] * v_cache[kv + j * stride + d];
    }
  }
}

}  // namespace r1::ref
