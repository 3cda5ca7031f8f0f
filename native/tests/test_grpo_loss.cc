/* grpo_loss_forward / grpo_loss_backward against the double reference for
 * every loss type, token and sequence level, with and without old/ref logp,
 * forced clipping; the reference gradient against central differences; and a
 * hand-computed tiny case. */
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "kernels/grpo_loss.h"
#include "reference/grpo_loss_ref.h"

using namespace r1;

namespace {

struct Batch {
  std::vector<int32_t> cu;
  std::vector<float> logp, old_logp, ref_logp, adv;
  std::vector<uint8_t> mask;
  GrpoLossInputs inputs(bool with_old, bool with_ref) const {
    return {static_cast<int64_t>(logp.size()), static_cast<int64_t>(cu.size() - 1), cu.data(),
            logp.data(), with_old ? old_logp.data() : nullptr,
            with_ref ? ref_logp.data() : nullptr, adv.data(), mask.data()};
  }
};

// Sequences of the given lengths; ratios spread far outside the clip range.
Batch make_batch(std::mt19937& rng, const std::vector<int>& lengths, float log_ratio_spread) {
  Batch b;
  b.cu.push_back(0);
  for (int len : lengths) b.cu.push_back(b.cu.back() + len);
  std::uniform_real_distribution<float> lp(-4.0f, -0.05f), lr(-log_ratio_spread, log_ratio_spread);
  std::uniform_real_distribution<float> kl(-0.5f, 0.5f), u(0, 1);
  for (size_t s = 0; s + 1 < b.cu.size(); ++s) {
    float seq_adv = (s % 2 ? 1.0f : -1.0f) * (0.2f + u(rng));
    for (int t = b.cu[s]; t < b.cu[s + 1]; ++t) {
      float l = lp(rng);
      b.logp.push_back(l);
      b.old_logp.push_back(l - lr(rng));
      b.ref_logp.push_back(l + kl(rng));
      b.adv.push_back(seq_adv + 0.1f * (u(rng) - 0.5f));
      // The first token of each sequence is a prompt token; one sequence has none active.
      b.mask.push_back(t == b.cu[s] && lengths[s] > 1 ? 0 : (s == 2 ? 0 : 1));
    }
  }
  return b;
}

const char* type_name(GrpoLossType t) {
  switch (t) {
    case GrpoLossType::grpo: return "grpo";
    case GrpoLossType::bnpo: return "bnpo";
    case GrpoLossType::dr_grpo: return "dr_grpo";
    case GrpoLossType::dapo: return "dapo";
  }
  return "?";
}

void check_against_ref(const std::string& name, const Batch& b, bool with_old, bool with_ref,
                       const GrpoLossOptions& o) {
  GrpoLossInputs in = b.inputs(with_old, with_ref);
  std::vector<float> per_token(in.num_tokens, NAN), dlogp(in.num_tokens, NAN);
  GrpoLossMetrics m = grpo_loss_forward(per_token.data(), in, o);
  grpo_loss_backward(dlogp.data(), in, o);
  ref::GrpoLossRef r = ref::grpo_loss_ref(in, o);
  const float loss = float(m.loss);
  test::expect_close(name + " loss", &loss, &r.loss, 1);
  test::expect_close(name + " per-token loss", per_token.data(), r.per_token_loss.data(),
                     per_token.size());
  test::expect_close(name + " dlogp", dlogp.data(), r.dlogp.data(), dlogp.size());
  const float metrics[] = {float(m.clip_low_fraction), float(m.clip_high_fraction),
                           float(m.mean_kl), float(m.mean_ratio), float(m.active_tokens)};
  const double want[] = {r.clip_low_fraction, r.clip_high_fraction, r.mean_kl, r.mean_ratio,
                         double(r.active_tokens)};
  test::expect_close(name + " metrics", metrics, want, 5);

  // The reference gradient against central differences of the reference loss.
  std::vector<double> logp(b.logp.begin(), b.logp.end()), fd(logp.size());
  const double h = 1e-6;
  for (size_t t = 0; t < logp.size(); ++t) {
    double keep = logp[t];
    logp[t] = keep + h;
    double up = ref::grpo_loss_value_ref(logp, in, o);
    logp[t] = keep - h;
    double down = ref::grpo_loss_value_ref(logp, in, o);
    logp[t] = keep;
    fd[t] = (up - down) / (2 * h);
  }
  std::vector<float> ref_grad(r.dlogp.begin(), r.dlogp.end());
  test::expect_close(name + " reference dlogp vs finite differences", ref_grad.data(), fd.data(),
                     fd.size(), 1e-6, 1e-4);
}

// Two sequences, hand-computed: A = +1 / -1, ratios 1.5 (clipped high) and 0.5 (clipped low).
void hand_case() {
  Batch b;
  b.cu = {0, 3, 4};
  b.logp = {-1.0f, -1.0f, -1.0f, -2.0f};
  b.old_logp = {-1.0f, -1.0f - std::log(1.5f), -1.0f, -2.0f - std::log(0.5f)};
  b.adv = {1.0f, 1.0f, 1.0f, -1.0f};
  b.mask = {0, 1, 1, 1};
  GrpoLossOptions o;  // eps 0.2, beta 0
  GrpoLossInputs in = b.inputs(true, false);
  // ℓ: token1 r=1.5, A=1 -> -min(1.5, 1.2) = -1.2; token2 r=1 -> -1; token3 r=0.5, A=-1 ->
  // -min(-0.5, -0.8) = 0.8.
  const double l1 = -1.2, l2 = -1.0, l3 = 0.8;
  struct Want {
    GrpoLossType type;
    double loss;
  } wants[] = {
      {GrpoLossType::grpo, ((l1 + l2) / 2 + l3 / 1) / 2},
      {GrpoLossType::bnpo, (l1 + l2 + l3) / 3},
      {GrpoLossType::dr_grpo, (l1 + l2 + l3) / (2 * 8.0)},
      {GrpoLossType::dapo, (l1 + l2 + l3) / 10.0},
  };
  for (const Want& w : wants) {
    o.loss_type = w.type;
    o.max_completion_length = 8;
    o.num_items_in_batch = 10;
    GrpoLossMetrics m = grpo_loss_forward(nullptr, in, o);
    float got = float(m.loss);
    test::expect_close(std::string("hand case ") + type_name(w.type) + " loss", &got, &w.loss, 1,
                       1e-6, 1e-6);
    const float fr[] = {float(m.clip_low_fraction), float(m.clip_high_fraction),
                        float(m.mean_ratio)};
    const double wr[] = {1.0 / 3, 1.0 / 3, (1.5 + 1.0 + 0.5) / 3};
    test::expect_close(std::string("hand case ") + type_name(w.type) + " metrics", fr, wr, 3,
                       1e-6, 1e-6);
    std::vector<float> d(4, NAN);
    grpo_loss_backward(d.data(), in, o);
    // Only the unclipped token 2 has a gradient: -A·r·weight.
    double w2 = w.type == GrpoLossType::grpo      ? 1.0 / 4
                : w.type == GrpoLossType::bnpo    ? 1.0 / 3
                : w.type == GrpoLossType::dr_grpo ? 1.0 / 16
                                                  : 1.0 / 10;
    const double wd[] = {0, 0, -w2, 0};
    test::expect_close(std::string("hand case ") + type_name(w.type) + " dlogp", d.data(), wd, 4,
                       1e-7, 1e-6);
  }
}

}  // namespace

int main() {
  std::mt19937 rng(99);
  hand_case();
  const GrpoLossType types[] = {GrpoLossType::grpo, GrpoLossType::bnpo, GrpoLossType::dr_grpo,
                                GrpoLossType::dapo};
  Batch batch = make_batch(rng, {5, 1, 4, 9, 2, 13}, 0.8f);
  for (GrpoLossType type : types) {
    for (int level = 0; level < 2; ++level) {
      for (int variant = 0; variant < 3; ++variant) {
        GrpoLossOptions o;
        o.loss_type = type;
        o.eps_low = 0.2f;
        o.eps_high = 0.28f;
        o.max_completion_length = 16;
        o.num_items_in_batch = 23;
        o.level = level ? ImportanceSamplingLevel::sequence : ImportanceSamplingLevel::token;
        bool with_old = variant != 1, with_ref = variant != 0;
        o.beta = with_ref ? 0.04f : 0.0f;
        std::string name = std::string(type_name(type)) + (level ? " sequence" : " token") +
                           (with_old ? " old" : " no-old") + (with_ref ? " ref" : " no-ref");
        check_against_ref(name, batch, with_old, with_ref, o);
      }
    }
  }
  // Forced clipping really happens in the random batch.
  GrpoLossOptions o;
  GrpoLossMetrics m = grpo_loss_forward(nullptr, batch.inputs(true, false), o);
  test::expect_true("random batch has low- and high-clipped tokens",
                    m.clip_low_fraction > 0 && m.clip_high_fraction > 0);
  return test::finish();
}
