#include "swiglu_ref.h"

#include <cmath>

namespace r1::ref {

static double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

void swiglu_forward_ref(double* h, const double* gate, const double* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) h[i] = gate[i] * sigmoid(gate[i]) * up[i];
}

void swiglu_backward_ref(double* dgate, double* dup, const double* dh, const double* gate,
                         const double* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    double s = sigmoid(gate[i]);
    // d silu/dg = σ + g σ (1 − σ)
    dgate[i] = dh[i] * up[i] * (s + gate[i] * s * (1 - s));
    dup[i] = dh[i] * gate[i] * s;
  }
}

}  // namespace r1::ref
