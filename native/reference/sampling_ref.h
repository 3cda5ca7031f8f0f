/* Float64 sampling oracle: the full sort, the filtered distribution and the
 * inverse CDF written out directly, for the sampling tests. */
#pragma once

#include <cstdint>
#include <vector>

namespace r1::ref {

struct SamplingDistributionRef {
  std::vector<double> probs;  // (V) filtered, renormalised; 0 for removed tokens
  std::vector<double> logp;   // (V) log softmax(z / τ) over the full vocabulary (τ 0 → 1)
};

// One row of logits (V). temperature 0 gives the one-hot argmax (lowest id on ties).
SamplingDistributionRef sampling_distribution_ref(const float* logits, int64_t V,
                                                  double temperature, int64_t top_k,
                                                  double top_p);

// The first id, in ascending order, whose cumulative probability exceeds u.
int32_t sample_ref(const std::vector<double>& probs, double u);

}  // namespace r1::ref
