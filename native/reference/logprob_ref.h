/* Naive double-precision reference for the fused log-prob kernel
 * (kernels/logprob.h): full logits per row, no chunking. For tests only. */
#pragma once

#include <cstdint>
#include <vector>

namespace r1::ref {

// logp, lse, entropy (N) overwritten; entropy may be null.
// hidden (N,D), weight (V,D), targets (N).
void logprob_forward_ref(double* logp, double* lse, double* entropy, const float* hidden,
                         const float* weight, const int32_t* targets, int64_t N, int64_t D,
                         int64_t V, double temperature);

// dhidden (N,D) overwritten, dweight (V,D) accumulated (+=), from dlogp (N).
void logprob_backward_ref(double* dhidden, double* dweight, const float* dlogp,
                          const float* hidden, const float* weight, const int32_t* targets,
                          int64_t N, int64_t D, int64_t V, double temperature);

}  // namespace r1::ref
