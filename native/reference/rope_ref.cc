#include "rope_ref.h"

#include <cmath>

namespace r1::ref {

void rope_ref(double* x, const int32_t* positions, int64_t num_tokens, int heads, int head_dim,
              double theta, double scaling_factor, bool inverse) {
  const int half = head_dim / 2;
  for (int64_t n = 0; n < num_tokens; ++n) {
    for (int h = 0; h < heads; ++h) {
      double* v = x + (n * heads + h) * head_dim;
      for (int i = 0; i < half; ++i) {
        double angle = positions[n] / scaling_factor * std::pow(theta, -2.0 * i / head_dim);
        if (inverse) angle = -angle;
        double c = std::cos(angle), s = std::sin(angle);
        double a = v[i], b = v[i + half];
        v[i] = a * c - b * s;
        v[i + half] = b * c + a * s;
      }
    }
  }
}

}  // namespace r1::ref
