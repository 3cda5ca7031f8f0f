/* The GRPO clipped surrogate with a k3 KL term, over packed sequences.
 *
 * Per token t (only where loss_mask[t] = 1):
 *   log_w  = logp - old_logp              (token level)
 *          = Σ_seq mask·(logp - old_logp) / Σ_seq mask   (sequence level, GSPO)
 *   r      = exp(log_w)
 *   ℓ      = -min(r·A, clip(r, 1-eps_low, 1+eps_high)·A) + beta·k3
 *   k3     = exp(ref - logp) - (ref - logp) - 1
 * The loss is Σ_t weight_t · ℓ_t, where weight_t depends on loss_type:
 *   grpo     1 / (S · max(active tokens of t's sequence, 1))
 *   bnpo     1 / max(active tokens in the batch, 1)
 *   dr_grpo  1 / (S · max_completion_length)
 *   dapo     1 / num_items_in_batch
 * old_logp null means old = logp (ratio 1, gradient -A); ref_logp may be null
 * when beta == 0.
 */
#pragma once

#include <cstdint>

namespace r1 {

enum class GrpoLossType { grpo, bnpo, dr_grpo, dapo };
enum class ImportanceSamplingLevel { token, sequence };

struct GrpoLossOptions {
  float eps_low = 0.2f;
  float eps_high = 0.2f;
  float beta = 0.0f;
  GrpoLossType loss_type = GrpoLossType::grpo;
  int64_t max_completion_length = 0;  // dr_grpo only, >= 1
  double num_items_in_batch = 0;      // dapo only, > 0
  ImportanceSamplingLevel level = ImportanceSamplingLevel::token;
};

struct GrpoLossInputs {
  int64_t num_tokens;          // N
  int64_t num_seqs;            // S
  const int32_t* cu_seqlens;   // (S+1)
  const float* logp;           // (N)
  const float* old_logp;       // (N) or null
  const float* ref_logp;       // (N) or null (beta == 0)
  const float* advantages;     // (N)
  const uint8_t* loss_mask;    // (N)
};

// Fractions and means over active (masked-in) tokens.
struct GrpoLossMetrics {
  double loss = 0;
  double clip_low_fraction = 0;    // r < 1-eps_low and A < 0
  double clip_high_fraction = 0;   // r > 1+eps_high and A > 0
  double mean_kl = 0;              // k3 (0 when ref_logp is null)
  double mean_ratio = 0;
  int64_t active_tokens = 0;
};

// Returns the loss and metrics; per_token_loss (N) overwritten when non-null
// (ℓ_t before weighting, 0 where masked out).
GrpoLossMetrics grpo_loss_forward(float* per_token_loss, const GrpoLossInputs& in,
                                  const GrpoLossOptions& options);

// dlogp (N) = dLoss/dlogp, overwritten (0 where masked out).
void grpo_loss_backward(float* dlogp, const GrpoLossInputs& in, const GrpoLossOptions& options);

}  // namespace r1
