/* AdamW step and gradient-norm helpers: elementwise, in parallel chunks. */
#include "../kernels/adamw.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "../common/thread_pool.h"
#include "multiversion.h"

namespace r1 {
namespace {

constexpr int64_t kGrain = 16384;
constexpr int64_t kNormBlock = 8192;

struct AdamWArgs {
  float* p;
  float* m;
  float* v;
  const float* g;
  float decay;       // 1 − lr·wd
  float one_m_b1;    // 1 − β1: lerp weight w
  float one_m_w;     // 1 − w in fp32, for torch's lerp branch w >= 0.5
  float b2;
  float one_m_b2;    // 1 − β2
  float bc2_sqrt;    // sqrt(1 − β2^t)
  float eps;
  float neg_step;    // −lr / (1 − β1^t)
};

R1_ALWAYS_INLINE void adamw_range_body(const AdamWArgs& a, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) {
    float g = a.g[i];
    float p = a.p[i] * a.decay;
    // torch's lerp: exact at w = 1 (β1 = 0), no cancellation for large w.
    float m = a.one_m_b1 < 0.5f ? a.m[i] + a.one_m_b1 * (g - a.m[i])
                                : g - (g - a.m[i]) * a.one_m_w;
    float v = a.v[i] * a.b2 + a.one_m_b2 * g * g;
    float denom = std::sqrt(v) / a.bc2_sqrt + a.eps;
    a.p[i] = p + a.neg_step * m / denom;
    a.m[i] = m;
    a.v[i] = v;
  }
}
R1_MULTIVERSION_RANGE(adamw_range, AdamWArgs)

struct NormArgs {
  const float* g;
  int64_t n;
  double* block_sums;
};

R1_ALWAYS_INLINE void norm_blocks_body(const NormArgs& a, int64_t begin, int64_t end) {
  for (int64_t b = begin; b < end; ++b) {
    const float* g = a.g + b * kNormBlock;
    const int64_t len = std::min(kNormBlock, a.n - b * kNormBlock);
    double acc[8] = {};
    int64_t i = 0;
    for (; i + 8 <= len; i += 8)
      for (int j = 0; j < 8; ++j) {
        double x = g[i + j];
        acc[j] += x * x;
      }
    double s = 0;
    for (; i < len; ++i) s += static_cast<double>(g[i]) * g[i];
    for (int j = 0; j < 8; ++j) s += acc[j];
    a.block_sums[b] = s;
  }
}
R1_MULTIVERSION_RANGE(norm_blocks, NormArgs)

struct ScaleArgs {
  float* x;
  float scale;
};

R1_ALWAYS_INLINE void scale_range_body(const ScaleArgs& a, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) a.x[i] *= a.scale;
}
R1_MULTIVERSION_RANGE(scale_range, ScaleArgs)

}  // namespace

void adamw_step(float* param, float* m, float* v, const float* grad, int64_t n,
                const AdamWConfig& c, int64_t step) {
  if (n < 0) throw std::invalid_argument("adamw_step: n must be >= 0");
  if (step < 1) throw std::invalid_argument("adamw_step: step must be >= 1 (1-based)");
  if (!(c.lr >= 0)) throw std::invalid_argument("adamw_step: lr must be >= 0");
  if (!(c.beta1 >= 0 && c.beta1 < 1)) throw std::invalid_argument("adamw_step: beta1 must be in [0, 1)");
  if (!(c.beta2 >= 0 && c.beta2 < 1)) throw std::invalid_argument("adamw_step: beta2 must be in [0, 1)");
  if (!(c.eps >= 0)) throw std::invalid_argument("adamw_step: eps must be >= 0");
  if (!(c.weight_decay >= 0)) throw std::invalid_argument("adamw_step: weight_decay must be >= 0");
  const double t = static_cast<double>(step);
  const double bc1 = 1.0 - std::pow(c.beta1, t), bc2 = 1.0 - std::pow(c.beta2, t);
  AdamWArgs args{param,
                 m,
                 v,
                 grad,
                 static_cast<float>(1.0 - c.lr * c.weight_decay),
                 static_cast<float>(1.0 - c.beta1),
                 1.0f - static_cast<float>(1.0 - c.beta1),
                 static_cast<float>(c.beta2),
                 static_cast<float>(1.0 - c.beta2),
                 static_cast<float>(std::sqrt(bc2)),
                 static_cast<float>(c.eps),
                 static_cast<float>(-c.lr / bc1)};
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) { adamw_range(args, b, e); });
}

double grad_norm_squared(const float* grad, int64_t n) {
  if (n < 0) throw std::invalid_argument("grad_norm_squared: n must be >= 0");
  const int64_t blocks = (n + kNormBlock - 1) / kNormBlock;
  std::vector<double> block_sums(static_cast<size_t>(blocks));
  NormArgs args{grad, n, block_sums.data()};
  parallel_for(blocks, 1, [&](int64_t b, int64_t e) { norm_blocks(args, b, e); });
  double total = 0;
  for (double s : block_sums) total += s;
  return total;
}

void scale_inplace(float* x, int64_t n, float scale) {
  if (n < 0) throw std::invalid_argument("scale_inplace: n must be >= 0");
  ScaleArgs args{x, scale};
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) { scale_range(args, b, e); });
}

}  // namespace r1
