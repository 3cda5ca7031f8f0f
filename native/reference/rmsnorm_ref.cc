#include "rmsnorm_ref.h"

#include <cmath>

namespace r1::ref {

static double row_rstd(const double* x, int64_t dim, double eps) {
  double ss = 0;
  for (int64_t d = 0; d < dim; ++d) ss += x[d] * x[d];
  return 1.0 / std::sqrt(ss / static_cast<double>(dim) + eps);
}

void rmsnorm_forward_ref(double* y, double* rstd, const double* x, const double* weight,
                         int64_t rows, int64_t dim, double eps) {
  for (int64_t n = 0; n < rows; ++n) {
    double r = row_rstd(x + n * dim, dim, eps);
    if (rstd) rstd[n] = r;
    for (int64_t d = 0; d < dim; ++d) y[n * dim + d] = x[n * dim + d] * r * weight[d];
  }
}

void rmsnorm_backward_ref(double* dx, double* dweight, const double* dy, const double* x,
                          const double* weight, int64_t rows, int64_t dim, double eps) {
  for (int64_t n = 0; n < rows; ++n) {
    const double* xr = x + n * dim;
    const double* g = dy + n * dim;
    double r = row_rstd(xr, dim, eps);
    // y_d = x_d r w_d, ∂r/∂x_j = −r³ x_j / dim.
    double dot = 0;
    for (int64_t d = 0; d < dim; ++d) dot += g[d] * weight[d] * xr[d];
    for (int64_t d = 0; d < dim; ++d) {
      dx[n * dim + d] = r * g[d] * weight[d] - r * r * r * xr[d] * dot / static_cast<double>(dim);
      dweight[d] += g[d] * xr[d] * r;
    }
  }
}

}  // namespace r1::ref
