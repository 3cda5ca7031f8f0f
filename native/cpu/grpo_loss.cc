/* The GRPO clipped surrogate with a k3 KL term, over packed sequences (CPU).
 *
 * Inputs are fp32; every sum is in double. The work is O(N) and tiny next to
 * the model, so it runs serially (and is therefore deterministic).
 *
 * Tie rule at the min(…) kink: a token's surrogate gradient is zero exactly
 * when it is clipped, (r < 1-eps_low and A < 0) or (r > 1+eps_high and A > 0),
 * with strict inequalities; otherwise it is the unclipped branch's -A·r. That
 * is the unclipped branch's subgradient whenever r·A <= clip(r)·A, ties
 * included (inside the clip range the two branches agree anyway).
 */
#include "../kernels/grpo_loss.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace r1 {
namespace {

struct TokenTerms {
  double ratio;      // r
  double surrogate;  // -min(r·A, clip(r)·A)
  bool clipped_low;
  bool clipped_high;
  double kl;         // k3, 0 without ref
  double dkl;        // dk3/dlogp
};

TokenTerms token_terms(double log_w, double logp, double adv, const float* ref, int64_t t,
                       const GrpoLossOptions& o) {
  TokenTerms k;
  k.ratio = std::exp(log_w);
  const double lo = 1.0 - o.eps_low, hi = 1.0 + o.eps_high;
  const double clipped = std::min(std::max(k.ratio, lo), hi);
  k.surrogate = -std::min(k.ratio * adv, clipped * adv);
  k.clipped_low = k.ratio < lo && adv < 0;
  k.clipped_high = k.ratio > hi && adv > 0;
  k.kl = 0;
  k.dkl = 0;
  if (ref) {
    const double d = double(ref[t]) - logp, e = std::exp(d);
    k.kl = e - d - 1.0;
    k.dkl = 1.0 - e;
  }
  return k;
}

// Active tokens of each sequence (S).
std::vector<int64_t> active_per_seq(const GrpoLossInputs& in) {
  std::vector<int64_t> counts(static_cast<size_t>(in.num_seqs), 0);
  for (int64_t s = 0; s < in.num_seqs; ++s) {
    for (int64_t t = in.cu_seqlens[s]; t < in.cu_seqlens[s + 1]; ++t) {
      counts[s] += in.loss_mask[t] != 0;
    }
  }
  return counts;
}

// weight_t of each token of sequence s (see grpo_loss.h).
double token_weight(const GrpoLossOptions& o, int64_t seq_active, int64_t batch_active,
                    int64_t num_seqs) {
  switch (o.loss_type) {
    case GrpoLossType::grpo:
      return 1.0 / (double(num_seqs) * double(std::max<int64_t>(seq_active, 1)));
    case GrpoLossType::bnpo:
      return 1.0 / double(std::max<int64_t>(batch_active, 1));
    case GrpoLossType::dr_grpo:
      return 1.0 / (double(num_seqs) * double(o.max_completion_length));
    case GrpoLossType::dapo:
      return 1.0 / o.num_items_in_batch;
  }
  return 0;
}

// log_w of sequence s at sequence level: Σ mask·(logp - old) / max(Σ mask, 1).
double sequence_log_w(const GrpoLossInputs& in, int64_t s, int64_t seq_active) {
  if (!in.old_logp) return 0;
  double sum = 0;
  for (int64_t t = in.cu_seqlens[s]; t < in.cu_seqlens[s + 1]; ++t) {
    if (in.loss_mask[t]) sum += double(in.logp[t]) - double(in.old_logp[t]);
  }
  return sum / double(std::max<int64_t>(seq_active, 1));
}

double token_log_w(const GrpoLossInputs& in, int64_t t) {
  return in.old_logp ? double(in.logp[t]) - double(in.old_logp[t]) : 0.0;
}

}  // namespace

GrpoLossMetrics grpo_loss_forward(float* per_token_loss, const GrpoLossInputs& in,
                                  const GrpoLossOptions& options) {
  GrpoLossMetrics m;
  const std::vector<int64_t> counts = active_per_seq(in);
  int64_t batch_active = 0;
  for (int64_t c : counts) batch_active += c;
  const bool seq_level = options.level == ImportanceSamplingLevel::sequence;
  const float* ref = in.ref_logp;  // also gives mean_kl when beta == 0

  double loss = 0, low = 0, high = 0, kl = 0, ratio = 0;
  for (int64_t s = 0; s < in.num_seqs; ++s) {
    const double w = token_weight(options, counts[s], batch_active, in.num_seqs);
    const double seq_log_w = seq_level ? sequence_log_w(in, s, counts[s]) : 0.0;
    for (int64_t t = in.cu_seqlens[s]; t < in.cu_seqlens[s + 1]; ++t) {
      if (!in.loss_mask[t]) {
        if (per_token_loss) per_token_loss[t] = 0.0f;
        continue;
      }
      const double log_w = seq_level ? seq_log_w : token_log_w(in, t);
      const TokenTerms k = token_terms(log_w, in.logp[t], in.advantages[t], ref, t, options);
      const double l = k.surrogate + double(options.beta) * k.kl;
      if (per_token_loss) per_token_loss[t] = static_cast<float>(l);
      loss += w * l;
      low += k.clipped_low;
      high += k.clipped_high;
      kl += k.kl;
      ratio += k.ratio;
    }
  }
  m.loss = loss;
  m.active_tokens = batch_active;
  if (batch_active > 0) {
    const double inv = 1.0 / double(batch_active);
    m.clip_low_fraction = low * inv;
    m.clip_high_fraction = high * inv;
    m.mean_kl = kl * inv;
    m.mean_ratio = ratio * inv;
  }
  return m;
}

void grpo_loss_backward(float* dlogp, const GrpoLossInputs& in, const GrpoLossOptions& options) {
  const std::vector<int64_t> counts = active_per_seq(in);
  int64_t batch_active = 0;
  for (int64_t c : counts) batch_active += c;
  const bool seq_level = options.level == ImportanceSamplingLevel::sequence;

  for (int64_t s = 0; s < in.num_seqs; ++s) {
    const int64_t b = in.cu_seqlens[s], e = in.cu_seqlens[s + 1];
    const double w = token_weight(options, counts[s], batch_active, in.num_seqs);
    const double seq_log_w = seq_level ? sequence_log_w(in, s, counts[s]) : 0.0;
    // d(-min(r·A, clip(r)·A))/dlog_w: -A·r on the unclipped branch, 0 when
    // clipped (tie rule above).
    auto dsurrogate = [&](int64_t t, const TokenTerms& k) {
      return k.clipped_low || k.clipped_high ? 0.0 : -double(in.advantages[t]) * k.ratio;
    };
    // Sequence level: log_w = Σ mask·(logp - old) / n_s, so every active token
    // receives (1/n_s)·Σ_t w·dℓ_t/dlog_w. Without old_logp (old = detached
    // logp) log_w is 0 but the gradient still flows the same way.
    double share = 0;
    if (seq_level && counts[s] > 0) {
      double sum = 0;
      for (int64_t t = b; t < e; ++t) {
        if (!in.loss_mask[t]) continue;
        sum += w * dsurrogate(t, token_terms(seq_log_w, in.logp[t], in.advantages[t],
                                             in.ref_logp, t, options));
      }
      share = sum / double(counts[s]);
    }
    for (int64_t t = b; t < e; ++t) {
      if (!in.loss_mask[t]) {
        dlogp[t] = 0.0f;
        continue;
      }
      const double log_w = seq_level ? seq_log_w : token_log_w(in, t);
      const TokenTerms k = token_terms(log_w, in.logp[t], in.advantages[t], in.ref_logp, t,
                                       options);
      const double dkl = w * double(options.beta) * k.dkl;
      // Token level without old_logp: r = exp(logp - detached logp) = 1, dr/dlogp = 1.
      const double dsur = seq_level ? share : w * dsurrogate(t, k);
      dlogp[t] = static_cast<float>(dsur + dkl);
    }
  }
}

}  // namespace r1
