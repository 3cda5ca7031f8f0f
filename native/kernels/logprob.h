/* Fused LM head + log-softmax + gather: log-probabilities of target tokens
 * without materialising the (N, V) logits.
 *
 * z = hidden (N,D) · weightᵀ (weight is (V,D)) / temperature
 * logp[n] = z[n, targets[n]] - logsumexp(z[n, :]),   lse[n] = logsumexp(z[n, :])
 * entropy[n] = lse[n] - Σ_j softmax(z[n])_j · z[n, j]
 *
 * The vocabulary is streamed in chunks of `vocab_chunk` rows of the weight and
 * tokens in blocks, with an online log-sum-exp; the extra memory is
 * O(token_block × vocab_chunk). Backward recomputes each chunk from lse.
 */
#pragma once

#include <cstdint>

namespace r1 {

struct LogprobShape {
  int64_t num_tokens;    // N
  int64_t hidden_dim;    // D
  int64_t vocab_size;    // V
  float temperature;     // > 0
  int64_t vocab_chunk;   // rows of weight per chunk; 0 picks the default
};

// logp (N), lse (N) overwritten; entropy (N) overwritten when non-null.
// targets[n] in [0, V).
void logprob_forward(float* logp, float* lse, float* entropy, const float* hidden,
                     const float* weight, const int32_t* targets, const LogprobShape& shape);

// dlogp (N) -> dhidden (N,D) overwritten, dweight (V,D) accumulated (+=).
// Rows with dlogp[n] == 0 are skipped.
void logprob_backward(float* dhidden, float* dweight, const float* dlogp, const float* hidden,
                      const float* weight, const int32_t* targets, const float* lse,
                      const LogprobShape& shape);

}  // namespace r1
