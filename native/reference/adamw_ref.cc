#include "adamw_ref.h"

#include <cmath>

namespace r1::ref {

void adamw_step_ref(double* param, double* m, double* v, const double* grad, int64_t n,
                    const r1::AdamWConfig& c, int64_t step) {
  for (int64_t i = 0; i < n; ++i) {
    m[i] = c.beta1 * m[i] + (1 - c.beta1) * grad[i];
    v[i] = c.beta2 * v[i] + (1 - c.beta2) * grad[i] * grad[i];
    double m_hat = m[i] / (1 - std::pow(c.beta1, step));
    double v_hat = v[i] / (1 - std::pow(c.beta2, step));
    param[i] -= c.lr * (m_hat / (std::sqrt(v_hat) + c.eps) + c.weight_decay * param[i]);
  }
}

}  // namespace r1::ref
