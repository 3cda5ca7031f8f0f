/* Decoder: parameters, scoring, training step and optimizer (see decoder.h). */
#include "decoder.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "../common/profile.h"
#include "../common/thread_pool.h"
#include "../kernels/embedding.h"
#include "../kernels/logprob.h"
#include "../kernels/matmul.h"
#include "../kernels/rmsnorm.h"
#include "decoder_layers.h"

namespace r1 {
namespace {

// The LM-head rows of a batch: token n (not first in its sequence) is scored
// from the final hidden state at n-1.
struct HeadRows {
  std::vector<int64_t> token;    // (M) token index n
  std::vector<int32_t> targets;  // (M) tokens[n]
  std::vector<float> hidden;     // (M, D) final-norm hidden rows n-1
};

HeadRows select_head_rows(const PackedBatchView& b, const float* xnf, int64_t D,
                          const uint8_t* rows) {
  HeadRows h;
  for (int64_t s = 0; s < b.num_seqs; ++s) {
    for (int64_t n = b.cu_seqlens[s] + 1; n < b.cu_seqlens[s + 1]; ++n) {
      if (rows && !rows[n]) continue;
      h.token.push_back(n);
      h.targets.push_back(b.tokens[n]);
    }
  }
  const int64_t m = static_cast<int64_t>(h.token.size());
  h.hidden.resize(m * D);
  parallel_for(m, 64, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i)
      std::copy(xnf + (h.token[i] - 1) * D, xnf + h.token[i] * D, h.hidden.data() + i * D);
  });
  return h;
}

void check_batch(const PackedBatchView& b, int64_t vocab) {
  if (b.num_seqs < 1 || b.cu_seqlens[0] != 0 || b.cu_seqlens[b.num_seqs] != b.num_tokens)
    throw std::invalid_argument("packed batch: cuSeqlens must start at 0 and end at the token count");
  for (int64_t n = 0; n < b.num_tokens; ++n)
    if (b.tokens[n] < 0 || b.tokens[n] >= vocab)
      throw std::invalid_argument("packed batch: tokens[" + std::to_string(n) + "] = " +
                                  std::to_string(b.tokens[n]) + " is outside the vocabulary");
}

}  // namespace

std::vector<int32_t> packed_positions(const PackedBatchView& b) {
  std::vector<int32_t> pos(b.num_tokens);
  for (int64_t s = 0; s < b.num_seqs; ++s)
    for (int64_t n = b.cu_seqlens[s]; n < b.cu_seqlens[s + 1]; ++n)
      pos[n] = static_cast<int32_t>(n - b.cu_seqlens[s]);
  return pos;
}

Decoder::Decoder(const DecoderConfig& config)
    : config_(config), layout_(make_param_layout(config)), params_(layout_.total, 0.0f) {}

Decoder::~Decoder() = default;

namespace {
Decoder::LayerWeights views(const LayerOffsets& o, const float* base) {
  auto at = [&](int64_t off) { return off < 0 ? nullptr : base + off; };
  return {at(o.input_norm), at(o.q_w),    at(o.q_b),    at(o.k_w),       at(o.k_b),
          at(o.v_w),        at(o.v_b),    at(o.o_w),    at(o.o_b),       at(o.q_norm),
          at(o.k_norm),     at(o.post_norm), at(o.gate_w), at(o.up_w), at(o.down_w)};
}
}  // namespace

Decoder::LayerWeights Decoder::layer_weights(int layer) const {
  return views(layout_.layers.at(layer), params_.data());
}

Decoder::LayerWeights Decoder::layer_gradients(int layer) {
  if (grads_.empty()) grads_.assign(layout_.total, 0.0f);
  return views(layout_.layers.at(layer), grads_.data());
}

void Decoder::head_logits(float* logits, const float* hidden, int64_t rows) const {
  matmul_forward(logits, hidden, params_.data() + layout_.lm_head, nullptr, rows,
                 config_.hidden_size, config_.vocab_size);
}

void Decoder::logprobs(float* logp, float* entropy, const PackedBatchView& b, float temperature,
                       const uint8_t* rows) const {
  check_batch(b, config_.vocab_size);
  const int64_t N = b.num_tokens, D = config_.hidden_size;
  std::vector<float> x(N * D);
  embedding_forward(x.data(), params_.data() + layout_.embed, b.tokens, N, config_.vocab_size, D);
  const detail::RopeTable rope = detail::make_rope_table(config_, packed_positions(b));
  detail::LayerActivations acts;  // reused by every layer: no backward follows
  acts.resize(config_, N);
  for (int l = 0; l < config_.num_layers; ++l)
    detail::layer_forward(config_, layer_weights(l), x.data(), N, b.cu_seqlens, b.num_seqs, rope,
                          acts);
  rmsnorm_forward(x.data(), nullptr, x.data(), params_.data() + layout_.final_norm, N, D,
                  config_.rms_norm_eps);
  HeadRows h = select_head_rows(b, x.data(), D, rows);
  const int64_t M = static_cast<int64_t>(h.token.size());
  std::vector<float> lp(M), lse(M), ent(entropy ? M : 0);
  LogprobShape shape{M, D, config_.vocab_size, temperature, 0};
  if (M > 0)
    logprob_forward(lp.data(), lse.data(), entropy ? ent.data() : nullptr, h.hidden.data(),
                    params_.data() + layout_.lm_head, h.targets.data(), shape);
  std::fill(logp, logp + N, 0.0f);
  if (entropy) std::fill(entropy, entropy + N, 0.0f);
  for (int64_t i = 0; i < M; ++i) {
    logp[h.token[i]] = lp[i];
    if (entropy) entropy[h.token[i]] = ent[i];
  }
}

TrainMetrics Decoder::forward_backward(const PackedBatchView& b, const TrainLoss& loss,
                                       float* logp_out) {
  check_batch(b, config_.vocab_size);
  for (int64_t s = 0; s < b.num_seqs; ++s) {
    int64_t first = b.cu_seqlens[s];
    if (first < b.cu_seqlens[s + 1] && loss.loss_mask[first])
      throw std::invalid_argument("lossMask[" + std::to_string(first) +
                                  "] is set at the first token of a sequence, which has no "
                                  "log-probability (masks are token-aligned)");
  }
  if (grads_.empty()) grads_.assign(layout_.total, 0.0f);
  const int64_t N = b.num_tokens, D = config_.hidden_size, V = config_.vocab_size;
  const int L = config_.num_layers;

  // Forward, keeping every layer's activations.
  std::vector<float> x(N * D);
  embedding_forward(x.data(), params_.data() + layout_.embed, b.tokens, N, V, D);
  const detail::RopeTable rope = detail::make_rope_table(config_, packed_positions(b));
  std::vector<detail::LayerActivations>& acts = acts_;
  acts.resize(L);
  if (!scratch_) scratch_ = std::make_unique<detail::BackwardScratch>();
  for (int l = 0; l < L; ++l) {
    acts[l].resize(config_, N);
    detail::layer_forward(config_, layer_weights(l), x.data(), N, b.cu_seqlens, b.num_seqs, rope,
                          acts[l]);
  }
  std::vector<float> xnf(N * D), rstdf(N);
  rmsnorm_forward(xnf.data(), rstdf.data(), x.data(), params_.data() + layout_.final_norm, N, D,
                  config_.rms_norm_eps);

  // Log-probs of the masked tokens only: prompt tokens never reach the LM head.
  HeadRows h = select_head_rows(b, xnf.data(), D, loss.loss_mask);
  const int64_t M = static_cast<int64_t>(h.token.size());
  std::vector<float> lp(M), lse(M), ent(M);
  LogprobShape shape{M, D, V, loss.temperature, 0};
  const float* head_w = params_.data() + layout_.lm_head;
  if (M > 0) {
    ScopedPhase phase("fwd lm head (logprobs)");
    logprob_forward(lp.data(), lse.data(), ent.data(), h.hidden.data(), head_w, h.targets.data(), shape);
  }
  std::vector<float> logp(N, 0.0f), dlogp(N, 0.0f);
  for (int64_t i = 0; i < M; ++i) logp[h.token[i]] = lp[i];
  if (logp_out) std::copy(logp.begin(), logp.end(), logp_out);

  TrainMetrics metrics;
  metrics.active_tokens = M;
  double ent_sum = 0;
  for (int64_t i = 0; i < M; ++i) ent_sum += ent[i];
  metrics.mean_entropy = M ? ent_sum / M : 0;
  if (loss.kind == TrainLossKind::grpo) {
    GrpoLossInputs in{N, b.num_seqs, b.cu_seqlens, logp.data(), loss.old_logp, loss.ref_logp,
                      loss.advantages, loss.loss_mask};
    metrics.grpo = grpo_loss_forward(nullptr, in, loss.grpo);
    metrics.loss = metrics.grpo.loss;
    grpo_loss_backward(dlogp.data(), in, loss.grpo);
    if (loss.loss_scale != 1.0) {
      metrics.loss *= loss.loss_scale;
      for (float& d : dlogp) d = static_cast<float>(d * loss.loss_scale);
    }
  } else {
    const double denom = (loss.sft_denominator > 0 ? loss.sft_denominator : std::max<int64_t>(M, 1)) / loss.loss_scale;
    double sum = 0;
    for (int64_t i = 0; i < M; ++i) {
      sum += lp[i];
      dlogp[h.token[i]] = static_cast<float>(-1.0 / denom);
    }
    metrics.loss = -sum / denom;
  }

  // Backward: LM head, final norm, layers in reverse, embedding.
  std::vector<float> dlp(M), dh(M * D);
  for (int64_t i = 0; i < M; ++i) dlp[i] = dlogp[h.token[i]];
  float* g = grads_.data();
  if (M > 0) {
    ScopedPhase phase("bwd lm head (logprobs)");
    logprob_backward(dh.data(), g + layout_.lm_head, dlp.data(), h.hidden.data(), head_w,
                     h.targets.data(), lse.data(), shape);
  }
  std::vector<float> dxnf(N * D, 0.0f), dx(N * D);
  for (int64_t i = 0; i < M; ++i)
    std::copy(dh.data() + i * D, dh.data() + (i + 1) * D, dxnf.data() + (h.token[i] - 1) * D);
  std::vector<float>().swap(dh);
  rmsnorm_backward(dx.data(), g + layout_.final_norm, dxnf.data(), x.data(),
                   params_.data() + layout_.final_norm, rstdf.data(), N, D);
  std::vector<float>().swap(dxnf);
  for (int l = L - 1; l >= 0; --l) {
    detail::layer_backward(config_, layer_weights(l), layer_gradients(l), dx.data(), N, b.cu_seqlens, b.num_seqs,
                           rope, acts[l], *scratch_);
  }
  {
    ScopedPhase phase("bwd embedding");
    embedding_backward(g + layout_.embed, dx.data(), b.tokens, N, V, D);
  }
  report_phases("forward_backward");
  return metrics;
}

void Decoder::zero_grad() {
  if (!grads_.empty()) std::fill(grads_.begin(), grads_.end(), 0.0f);
}

OptimizerStepResult Decoder::optimizer_step(const AdamWConfig& adam, double max_grad_norm) {
  if (grads_.empty()) grads_.assign(layout_.total, 0.0f);
  if (adam_m_.empty()) {
    adam_m_.assign(layout_.total, 0.0f);
    adam_v_.assign(layout_.total, 0.0f);
  }
  OptimizerStepResult result;
  double sq = 0;
  for (const ParamSpec& spec : layout_.specs) sq += grad_norm_squared(grads_.data() + spec.offset, spec.numel);
  result.grad_norm = std::sqrt(sq);
  if (max_grad_norm > 0) {
    result.clip_scale = grad_clip_scale(result.grad_norm, max_grad_norm);
    scale_inplace(grads_.data(), layout_.total, static_cast<float>(result.clip_scale));
  }
  ++step_;
  ScopedPhase phase("adamw");
  for (const ParamSpec& spec : layout_.specs) {
    AdamWConfig cfg = adam;
    if (spec.shape.size() == 1) cfg.weight_decay = 0;  // norms and biases
    adamw_step(params_.data() + spec.offset, adam_m_.data() + spec.offset,
               adam_v_.data() + spec.offset, grads_.data() + spec.offset, spec.numel, cfg, step_);
  }
  return result;
}

void Decoder::set_optimizer_state(std::vector<float> m, std::vector<float> v, int64_t step) {
  if ((m.size() != static_cast<size_t>(layout_.total) || v.size() != m.size()) && !(m.empty() && v.empty()))
    throw std::invalid_argument("optimizer state: moments must have one value per parameter");
  if (step < 0) throw std::invalid_argument("optimizer state: step must be >= 0");
  adam_m_ = std::move(m);
  adam_v_ = std::move(v);
  step_ = step;
}

std::unique_ptr<Decoder> Decoder::frozen_copy() const {
  auto copy = std::make_unique<Decoder>(config_);
  copy->params_ = params_;
  return copy;
}

}  // namespace r1
