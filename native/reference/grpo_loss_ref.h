/* Naive double-precision reference for the GRPO loss (kernels/grpo_loss.h),
 * written from the formulas: per-token terms first, then each loss type's
 * normalisation spelled out. For tests only. */
#pragma once

#include <cstdint>
#include <vector>

#include "../kernels/grpo_loss.h"

namespace r1::ref {

struct GrpoLossRef {
  double loss = 0;
  std::vector<double> dlogp;           // (N)
  std::vector<double> per_token_loss;  // (N)
  double clip_low_fraction = 0, clip_high_fraction = 0, mean_kl = 0, mean_ratio = 0;
  int64_t active_tokens = 0;
};

GrpoLossRef grpo_loss_ref(const GrpoLossInputs& in, const GrpoLossOptions& options);

// The loss alone, with logp replaced by `logp` (for finite differences).
double grpo_loss_value_ref(const std::vector<double>& logp, const GrpoLossInputs& in,
                           const GrpoLossOptions& options);

}  // namespace r1::ref
