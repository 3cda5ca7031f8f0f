/* Next-token sampling for generation: temperature, top-k, top-p, with the
 * random number supplied by the caller (one u in [0, 1) per row, e.g. from
 * Pcg32::next_double), so runs are deterministic and seedable.
 *
 * Per row of logits z (V), in the Hugging Face order temperature → top-k → top-p:
 *   s = z / τ; p = softmax(s) over the whole vocabulary.
 *   Candidates are ranked by z descending, ties by lower id first.
 *   top_k > 0 keeps the first k ranks.
 *   top_p < 1 renormalises p over the candidates left and keeps rank r while
 *   the mass of ranks before r is < top_p (so the top token is always kept).
 *   The id is drawn by inverse CDF over the kept tokens in ascending id order:
 *   the first id whose running sum of p exceeds u · Σ_kept p.
 *   logp = log softmax(z / τ)[id] over the FULL vocabulary (unfiltered), the
 *   value a policy-gradient loss computes for the same temperature.
 * temperature 0 is greedy: the argmax (lowest id on ties), u is ignored, and
 * logp = log softmax(z)[id] (τ taken as 1). top_k 0 and top_p 1 turn the
 * filters off.
 *
 * Logits may be −inf (masked tokens); NaN or +inf, a row with no finite
 * logit, or a u outside [0, 1) throw std::invalid_argument naming the row.
 * Rows are sampled in parallel; scratch is O(V) per worker.
 */
#pragma once

#include <cstdint>

namespace r1 {

struct SamplingParams {
  float temperature = 1.0f;  // >= 0; 0 = greedy
  int64_t top_k = 0;         // >= 0; 0 = off
  float top_p = 1.0f;        // in (0, 1]; 1 = off
};

// logits (B, V), u (B) -> ids (B), logp (B) overwritten.
void sample_tokens(int32_t* ids, float* logp, const float* logits, const double* u, int64_t B,
                   int64_t V, const SamplingParams& params);

}  // namespace r1
