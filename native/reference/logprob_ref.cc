#include "logprob_ref.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace r1::ref {
namespace {

// z (V) = hidden_row · weightᵀ / temperature
std::vector<double> row_logits(const float* h, const float* weight, int64_t D, int64_t V,
                               double temperature) {
  std::vector<double> z(static_cast<size_t>(V));
  for (int64_t j = 0; j < V; ++j) {
    double acc = 0;
    for (int64_t k = 0; k < D; ++k) acc += double(h[k]) * double(weight[j * D + k]);
    z[j] = acc / temperature;
  }
  return z;
}

double logsumexp(const std::vector<double>& z) {
  double m = *std::max_element(z.begin(), z.end()), s = 0;
  for (double v : z) s += std::exp(v - m);
  return m + std::log(s);
}

}  // namespace

void logprob_forward_ref(double* logp, double* lse, double* entropy, const float* hidden,
                         const float* weight, const int32_t* targets, int64_t N, int64_t D,
                         int64_t V, double temperature) {
  for (int64_t n = 0; n < N; ++n) {
    std::vector<double> z = row_logits(hidden + n * D, weight, D, V, temperature);
    double l = logsumexp(z);
    lse[n] = l;
    logp[n] = z[targets[n]] - l;
    if (entropy) {
      double h = 0;
      for (double v : z) {
        double lp = v - l;
        h -= std::exp(lp) * lp;
      }
      entropy[n] = h;
    }
  }
}

void logprob_backward_ref(double* dhidden, double* dweight, const float* dlogp,
                          const float* hidden, const float* weight, const int32_t* targets,
                          int64_t N, int64_t D, int64_t V, double temperature) {
  for (int64_t n = 0; n < N; ++n) {
    const float* h = hidden + n * D;
    std::vector<double> z = row_logits(h, weight, D, V, temperature);
    double l = logsumexp(z);
    for (int64_t k = 0; k < D; ++k) dhidden[n * D + k] = 0;
    for (int64_t j = 0; j < V; ++j) {
      // dlogp/dz_j = onehot_j - p_j, and dz/d(h·w) = 1/temperature
      double g = double(dlogp[n]) * ((j == targets[n] ? 1.0 : 0.0) - std::exp(z[j] - l)) /
                 temperature;
      for (int64_t k = 0; k < D; ++k) {
        dhidden[n * D + k] += g * double(weight[j * D + k]);
        dweight[j * D + k] += g * double(h[k]);
      }
    }
  }
}

}  // namespace r1::ref
