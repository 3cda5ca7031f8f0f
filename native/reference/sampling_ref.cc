#include "sampling_ref.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace r1::ref {

SamplingDistributionRef sampling_distribution_ref(const float* logits, int64_t V,
                                                  double temperature, int64_t top_k,
                                                  double top_p) {
  SamplingDistributionRef out;
  out.probs.assign(V, 0.0);
  out.logp.assign(V, 0.0);
  const double tau = temperature > 0 ? temperature : 1.0;
  double zmax = -INFINITY;
  for (int64_t j = 0; j < V; ++j) zmax = std::max(zmax, static_cast<double>(logits[j]));
  std::vector<double> p(V);
  double total = 0;
  for (int64_t j = 0; j < V; ++j) total += (p[j] = std::exp((logits[j] - zmax) / tau));
  for (int64_t j = 0; j < V; ++j) {
    out.logp[j] = (logits[j] - zmax) / tau - std::log(total);
    p[j] /= total;
  }

  std::vector<int32_t> order(V);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  if (temperature == 0) {
    out.probs[order[0]] = 1.0;
    return out;
  }
  int64_t kept = (top_k > 0 && top_k < V) ? top_k : V;
  if (top_p < 1) {
    double mass = 0;
    for (int64_t r = 0; r < kept; ++r) mass += p[order[r]];
    double before = 0;
    int64_t r = 0;
    while (r < kept && before / mass < top_p) before += p[order[r++]];
    kept = r;
  }
  double mass = 0;
  for (int64_t r = 0; r < kept; ++r) mass += p[order[r]];
  for (int64_t r = 0; r < kept; ++r) out.probs[order[r]] = p[order[r]] / mass;
  return out;
}

int32_t sample_ref(const std::vector<double>& probs, double u) {
  double cum = 0;
  int32_t last = -1;
  for (size_t j = 0; j < probs.size(); ++j) {
    if (probs[j] <= 0) continue;
    cum += probs[j];
    last = static_cast<int32_t>(j);
    if (cum > u) return last;
  }
  return last;
}

}  // namespace r1::ref
