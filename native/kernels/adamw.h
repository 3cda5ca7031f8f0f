/* AdamW over one flat parameter array, and the global-norm helpers used for
 * gradient clipping.
 *
 * adamw_step matches torch.optim.AdamW (amsgrad=False, maximize=False, the
 * single-tensor path) operation by operation, with hyperparameters in double
 * as Python passes them:
 *
 *   p   *= 1 − lr·wd                          (decoupled weight decay, first)
 *   m    = m + (1 − β1)·(g − m)               (torch's lerp_)
 *   v    = β2·v + (1 − β2)·g²
 *   p   += −(lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + eps)
 *
 * i.e. p −= lr·(m̂ / (sqrt(v̂) + eps) + wd·p) with m̂, v̂ the bias-corrected moments.
 * Agreement with torch is to fp32 rounding, not bit-exact (FMA contraction).
 * t is the 1-based step count (torch increments state["step"] before use).
 */
#pragma once

#include <cstdint>

namespace r1 {

// torch.optim.AdamW defaults.
struct AdamWConfig {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
};

// param, m, v (n) updated in place from grad (n); m and v start at zero.
void adamw_step(float* param, float* m, float* v, const float* grad, int64_t n,
                const AdamWConfig& config, int64_t step);

// Σ grad² over n elements, accumulated in double in fixed blocks of 8192
// elements summed in order: the same bits for any thread count and either ISA
// build (float products are exact in double). The global norm over several
// arrays is sqrt of the sum of their results, added in a fixed order.
double grad_norm_squared(const float* grad, int64_t n);

// x (n) *= scale.
void scale_inplace(float* x, int64_t n, float scale);

// torch.nn.utils.clip_grad_norm_'s factor: min(1, max_norm / (total_norm + 1e-6)).
// Gradients are then scaled by it (scale_inplace), as torch does even when it is 1.
inline double grad_clip_scale(double total_norm, double max_norm) {
  double coef = max_norm / (total_norm + 1e-6);
  return coef < 1.0 ? coef : 1.0;
}

}  // namespace r1
