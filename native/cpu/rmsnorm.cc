/* RMSNorm forward/backward: rows in parallel, dweight by column ranges. */
#include "../kernels/rmsnorm.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "../common/thread_pool.h"
#include "multiversion.h"

namespace r1 {
namespace {

constexpr int kLanes = 16;  // partial sums: two AVX2 registers

struct ForwardArgs {
  float* y;
  float* rstd;
  const float* x;
  const float* weight;
  int64_t dim;
  float eps;
};

R1_ALWAYS_INLINE void rmsnorm_forward_rows_body(const ForwardArgs& a, int64_t begin, int64_t end) {
  const int64_t D = a.dim;
  for (int64_t n = begin; n < end; ++n) {
    const float* x = a.x + n * D;
    float* y = a.y + n * D;
    float acc[kLanes] = {};
    int64_t i = 0;
    for (; i + kLanes <= D; i += kLanes)
      for (int j = 0; j < kLanes; ++j) acc[j] += x[i + j] * x[i + j];
    float ss = 0;
    for (; i < D; ++i) ss += x[i] * x[i];
    for (int j = 0; j < kLanes; ++j) ss += acc[j];
    float r = 1.0f / std::sqrt(ss / static_cast<float>(D) + a.eps);
    if (a.rstd) a.rstd[n] = r;
    for (int64_t d = 0; d < D; ++d) y[d] = x[d] * r * a.weight[d];
  }
}
R1_MULTIVERSION_RANGE(rmsnorm_forward_rows, ForwardArgs)

struct BackwardArgs {
  float* dx;
  float* dweight;
  const float* dy;
  const float* x;
  const float* weight;
  const float* rstd;
  int64_t rows;
  int64_t dim;
};

R1_ALWAYS_INLINE void rmsnorm_backward_rows_body(const BackwardArgs& a, int64_t begin,
                                                 int64_t end) {
  const int64_t D = a.dim;
  const float* w = a.weight;
  for (int64_t n = begin; n < end; ++n) {
    const float* x = a.x + n * D;
    const float* dy = a.dy + n * D;
    float* dx = a.dx + n * D;
    float acc[kLanes] = {};
    int64_t i = 0;
    for (; i + kLanes <= D; i += kLanes)
      for (int j = 0; j < kLanes; ++j) acc[j] += dy[i + j] * w[i + j] * x[i + j];
    float dot = 0;
    for (; i < D; ++i) dot += dy[i] * w[i] * x[i];
    for (int j = 0; j < kLanes; ++j) dot += acc[j];
    float r = a.rstd[n];
    float c = r * r * r * dot / static_cast<float>(D);
    for (int64_t d = 0; d < D; ++d) dx[d] = r * dy[d] * w[d] - c * x[d];
  }
}
R1_MULTIVERSION_RANGE(rmsnorm_backward_rows, BackwardArgs)

// Columns [begin, end) of dweight, summed over all rows in order.
R1_ALWAYS_INLINE void rmsnorm_dweight_cols_body(const BackwardArgs& a, int64_t begin,
                                                int64_t end) {
  const int64_t D = a.dim, width = end - begin;
  std::vector<double> sum(static_cast<size_t>(width), 0.0);
  double* s = sum.data();
  for (int64_t n = 0; n < a.rows; ++n) {
    const float* x = a.x + n * D + begin;
    const float* dy = a.dy + n * D + begin;
    const float r = a.rstd[n];
    for (int64_t d = 0; d < width; ++d) s[d] += static_cast<double>(dy[d] * x[d] * r);
  }
  for (int64_t d = 0; d < width; ++d) a.dweight[begin + d] += static_cast<float>(s[d]);
}
R1_MULTIVERSION_RANGE(rmsnorm_dweight_cols, BackwardArgs)

void check_shape(int64_t rows, int64_t dim, const char* op) {
  if (rows < 0) throw std::invalid_argument(std::string(op) + ": rows must be >= 0");
  if (dim < 1) throw std::invalid_argument(std::string(op) + ": dim must be >= 1");
}

// Rows per task: about 16K elements, at least one row.
int64_t row_grain(int64_t dim) { return std::max<int64_t>(1, 16384 / dim); }

}  // namespace

void rmsnorm_forward(float* y, float* rstd, const float* x, const float* weight, int64_t rows,
                     int64_t dim, float eps) {
  check_shape(rows, dim, "rmsnorm_forward");
  if (!(eps >= 0)) throw std::invalid_argument("rmsnorm_forward: eps must be >= 0");
  ForwardArgs args{y, rstd, x, weight, dim, eps};
  parallel_for(rows, row_grain(dim),
               [&](int64_t b, int64_t e) { rmsnorm_forward_rows(args, b, e); });
}

void rmsnorm_backward(float* dx, float* dweight, const float* dy, const float* x,
                      const float* weight, const float* rstd, int64_t rows, int64_t dim) {
  check_shape(rows, dim, "rmsnorm_backward");
  BackwardArgs args{dx, dweight, dy, x, weight, rstd, rows, dim};
  // dweight first: dx may overwrite dy.
  if (dweight && rows > 0) {
    parallel_for(dim, 64, [&](int64_t b, int64_t e) { rmsnorm_dweight_cols(args, b, e); });
  }
  parallel_for(rows, row_grain(dim),
               [&](int64_t b, int64_t e) { rmsnorm_backward_rows(args, b, e); });
}

}  // namespace r1
