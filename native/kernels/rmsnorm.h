/* RMSNorm (Qwen2/Llama): per row of D values,
 *
 *   rstd = 1 / sqrt(mean(x²) + eps),   y = x · rstd · weight
 *
 * (weight multiplies directly, as Qwen2RMSNorm / LlamaRMSNorm; not Gemma's
 * 1 + weight). Rows are independent, so the Qwen3 per-head q/k norm is the same
 * call on (N·H, Dh) rows. Statistics are fp32, as in Hugging Face (which
 * upcasts to fp32 before normalising).
 */
#pragma once

#include <cstdint>

namespace r1 {

// x (rows, dim), weight (dim) -> y (rows, dim), rstd (rows) overwritten.
// y may alias x. rstd may be null when no backward follows (inference).
void rmsnorm_forward(float* y, float* rstd, const float* x, const float* weight, int64_t rows,
                     int64_t dim, float eps);

// dy (rows, dim), with x, weight and the rstd saved by forward ->
// dx (rows, dim) overwritten, dweight (dim) accumulated (+=; null skips it).
//   dx = rstd · (dy∘w) − rstd³/dim · x · Σ(dy∘w∘x)
//   dweight += Σ_rows dy ∘ x · rstd
// dx may alias dy. dweight is summed over rows in order in double per column,
// so it does not depend on the thread count.
void rmsnorm_backward(float* dx, float* dweight, const float* dy, const float* x,
                      const float* weight, const float* rstd, int64_t rows, int64_t dim);

}  // namespace r1
