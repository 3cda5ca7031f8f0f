#include "grpo_loss_ref.h"

#include <algorithm>
#include <cmath>

namespace r1::ref {
namespace {

struct Terms {
  std::vector<double> loss;     // ℓ_t (0 where masked out)
  std::vector<double> ratio;    // r_t
  std::vector<bool> clipped;    // token gets no surrogate gradient
  std::vector<bool> low, high;  // clip metrics
  std::vector<double> kl;
};

bool active(const GrpoLossInputs& in, int64_t t) { return in.loss_mask[t] != 0; }

double old_of(const GrpoLossInputs& in, int64_t t) {
  // Absent old_logp means old = logp held constant (a detached copy).
  return in.old_logp ? in.old_logp[t] : in.logp[t];
}

int64_t seq_active(const GrpoLossInputs& in, int64_t s) {
  int64_t n = 0;
  for (int64_t t = in.cu_seqlens[s]; t < in.cu_seqlens[s + 1]; ++t) n += active(in, t);
  return n;
}

Terms terms(const std::vector<double>& logp, const GrpoLossInputs& in, const GrpoLossOptions& o) {
  const int64_t N = in.num_tokens;
  Terms T{std::vector<double>(N, 0), std::vector<double>(N, 0), std::vector<bool>(N, false),
          std::vector<bool>(N, false), std::vector<bool>(N, false), std::vector<double>(N, 0)};
  const double lo = 1.0 - o.eps_low, hi = 1.0 + o.eps_high;
  for (int64_t s = 0; s < in.num_seqs; ++s) {
    const int64_t b = in.cu_seqlens[s], e = in.cu_seqlens[s + 1];
    double seq_lw = 0;
    for (int64_t t = b; t < e; ++t) {
      if (active(in, t)) seq_lw += logp[t] - old_of(in, t);
    }
    seq_lw /= std::max<int64_t>(seq_active(in, s), 1);
    for (int64_t t = b; t < e; ++t) {
      if (!active(in, t)) continue;
      const bool seq_level = o.level == ImportanceSamplingLevel::sequence;
      const double lw = seq_level ? seq_lw : logp[t] - old_of(in, t);
      const double r = std::exp(lw), A = in.advantages[t];
      const double unclipped = r * A, clipped = std::clamp(r, lo, hi) * A;
      T.ratio[t] = r;
      T.low[t] = r < lo && A < 0;
      T.high[t] = r > hi && A > 0;
      T.clipped[t] = T.low[t] || T.high[t];  // same tie rule as the kernel
      if (in.ref_logp) {
        const double d = in.ref_logp[t] - logp[t];
        T.kl[t] = std::exp(d) - d - 1;
      }
      T.loss[t] = -std::min(unclipped, clipped) + o.beta * T.kl[t];
    }
  }
  return T;
}

// c_t = dLoss/dℓ_t for each loss type, spelled out.
std::vector<double> loss_coefficients(const GrpoLossInputs& in, const GrpoLossOptions& o) {
  const int64_t N = in.num_tokens, S = in.num_seqs;
  std::vector<double> c(N, 0);
  int64_t total = 0;
  for (int64_t s = 0; s < S; ++s) total += seq_active(in, s);
  for (int64_t s = 0; s < S; ++s) {
    for (int64_t t = in.cu_seqlens[s]; t < in.cu_seqlens[s + 1]; ++t) {
      if (!active(in, t)) continue;
      switch (o.loss_type) {
        case GrpoLossType::grpo:  // mean over sequences of the sequence's token mean
          c[t] = 1.0 / double(S) / double(std::max<int64_t>(seq_active(in, s), 1));
          break;
        case GrpoLossType::bnpo:  // token mean over the batch
          c[t] = 1.0 / double(std::max<int64_t>(total, 1));
          break;
        case GrpoLossType::dr_grpo:  // sum / (S · max_completion_length)
          c[t] = 1.0 / (double(S) * double(o.max_completion_length));
          break;
        case GrpoLossType::dapo:  // sum / num_items_in_batch
          c[t] = 1.0 / o.num_items_in_batch;
          break;
      }
    }
  }
  return c;
}

std::vector<double> logp_of(const GrpoLossInputs& in) {
  return std::vector<double>(in.logp, in.logp + in.num_tokens);
}

}  // namespace

double grpo_loss_value_ref(const std::vector<double>& logp, const GrpoLossInputs& in,
                           const GrpoLossOptions& options) {
  Terms T = terms(logp, in, options);
  std::vector<double> c = loss_coefficients(in, options);
  double loss = 0;
  for (int64_t t = 0; t < in.num_tokens; ++t) loss += c[t] * T.loss[t];
  return loss;
}

GrpoLossRef grpo_loss_ref(const GrpoLossInputs& in, const GrpoLossOptions& o) {
  const int64_t N = in.num_tokens;
  std::vector<double> logp = logp_of(in);
  Terms T = terms(logp, in, o);
  std::vector<double> c = loss_coefficients(in, o);
  GrpoLossRef out;
  out.per_token_loss = T.loss;
  out.dlogp.assign(N, 0);
  for (int64_t t = 0; t < N; ++t) {
    out.loss += c[t] * T.loss[t];
    if (!active(in, t)) continue;
    ++out.active_tokens;
    out.clip_low_fraction += T.low[t];
    out.clip_high_fraction += T.high[t];
    out.mean_kl += T.kl[t];
    out.mean_ratio += T.ratio[t];
  }
  if (out.active_tokens > 0) {
    out.clip_low_fraction /= out.active_tokens;
    out.clip_high_fraction /= out.active_tokens;
    out.mean_kl /= out.active_tokens;
    out.mean_ratio /= out.active_tokens;
  }
  // dLoss/dlogp_u = Σ_t c_t · dℓ_t/dlogp_u.
  for (int64_t s = 0; s < in.num_seqs; ++s) {
    const int64_t b = in.cu_seqlens[s], e = in.cu_seqlens[s + 1];
    const double n_s = double(std::max<int64_t>(seq_active(in, s), 1));
    for (int64_t t = b; t < e; ++t) {
      if (!active(in, t)) continue;
      const double dsur = T.clipped[t] ? 0.0 : -double(in.advantages[t]) * T.ratio[t];
      if (o.level == ImportanceSamplingLevel::sequence) {
        for (int64_t u = b; u < e; ++u) {
          if (active(in, u)) out.dlogp[u] += c[t] * dsur / n_s;
        }
      } else {
        out.dlogp[t] += c[t] * dsur;
      }
      if (in.ref_logp) out.dlogp[t] += c[t] * o.beta * (1.0 - std::exp(in.ref_logp[t] - logp[t]));
    }
  }
  return out;
}

}  // namespace r1::ref
