#include "generation.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "../kernels/attention.h"
#include "../kernels/embedding.h"
#include "../kernels/rmsnorm.h"

namespace r1 {

GenerationSession::GenerationSession(const Decoder& model, int64_t num_seqs, int64_t capacity,
                                     uint64_t seed, const SamplingParams& sampling)
    : model_(model), num_seqs_(num_seqs), capacity_(capacity), sampling_(sampling) {
  const DecoderConfig& c = model.config();
  const size_t cache = static_cast<size_t>(num_seqs * capacity * c.num_kv_heads * c.head_dim);
  k_cache_.assign(c.num_layers, std::vector<float>(cache));
  v_cache_.assign(c.num_layers, std::vector<float>(cache));
  for (int64_t s = 0; s < num_seqs; ++s) rngs_.emplace_back(seed, static_cast<uint64_t>(s));
}

SampledTokens GenerationSession::start(const PackedBatchView& b) {
  if (started_) throw std::logic_error("generation session already started");
  started_ = true;
  const DecoderConfig& c = model_.config();
  const int64_t N = b.num_tokens, D = c.hidden_size, kv = int64_t(c.num_kv_heads) * c.head_dim;
  if (b.num_seqs != num_seqs_) throw std::invalid_argument("prompt count does not match the session");
  for (int64_t s = 0; s < b.num_seqs; ++s) {
    int64_t len = b.cu_seqlens[s + 1] - b.cu_seqlens[s];
    if (len < 1) throw std::invalid_argument("prompt " + std::to_string(s) + " is empty");
    if (len >= capacity_) throw std::invalid_argument("prompt " + std::to_string(s) + " does not fit the cache capacity");
    slot_seq_.push_back(static_cast<int32_t>(s));
    slot_len_.push_back(static_cast<int32_t>(len));
  }
  std::vector<float> x(N * D);
  embedding_forward(x.data(), model_.params() + model_.layout().embed, b.tokens, N, c.vocab_size, D);
  const detail::RopeTable rope = detail::make_rope_table(c, packed_positions(b));
  detail::LayerActivations acts;
  acts.resize(c, N);
  for (int l = 0; l < c.num_layers; ++l) {
    detail::layer_forward(c, model_.layer_weights(l), x.data(), N, b.cu_seqlens, b.num_seqs, rope, acts);
    for (int64_t s = 0; s < b.num_seqs; ++s) {
      const int64_t start = b.cu_seqlens[s], len = b.cu_seqlens[s + 1] - start;
      std::copy(acts.k.data() + start * kv, acts.k.data() + (start + len) * kv, k_cache_[l].data() + s * capacity_ * kv);
      std::copy(acts.v.data() + start * kv, acts.v.data() + (start + len) * kv, v_cache_[l].data() + s * capacity_ * kv);
    }
  }
  // The last prompt position of each sequence predicts its first new token.
  std::vector<float> last(b.num_seqs * D);
  for (int64_t s = 0; s < b.num_seqs; ++s)
    std::copy(x.data() + (b.cu_seqlens[s + 1] - 1) * D, x.data() + b.cu_seqlens[s + 1] * D, last.data() + s * D);
  return sample(last);
}

void GenerationSession::drop(int32_t seq) {
  auto it = std::find(slot_seq_.begin(), slot_seq_.end(), seq);
  if (it == slot_seq_.end()) throw std::invalid_argument("sequence " + std::to_string(seq) + " is not active");
  const int64_t slot = it - slot_seq_.begin(), last = active() - 1;
  if (slot != last) {
    const DecoderConfig& c = model_.config();
    const int64_t kv = int64_t(c.num_kv_heads) * c.head_dim, span = capacity_ * kv;
    const int64_t used = slot_len_[last] * kv;
    for (int l = 0; l < c.num_layers; ++l) {
      std::copy(k_cache_[l].data() + last * span, k_cache_[l].data() + last * span + used, k_cache_[l].data() + slot * span);
      std::copy(v_cache_[l].data() + last * span, v_cache_[l].data() + last * span + used, v_cache_[l].data() + slot * span);
    }
    slot_seq_[slot] = slot_seq_[last];
    slot_len_[slot] = slot_len_[last];
    slot_last_[slot] = slot_last_[last];
  }
  slot_seq_.pop_back();
  slot_len_.pop_back();
  slot_last_.pop_back();
}

SampledTokens GenerationSession::next(const std::vector<int32_t>& finished) {
  if (!started_) throw std::logic_error("generation session not started");
  for (int32_t seq : finished) drop(seq);
  const int64_t A = active();
  if (A == 0) return {};
  const DecoderConfig& c = model_.config();
  const int64_t D = c.hidden_size, kv = int64_t(c.num_kv_heads) * c.head_dim;
  for (int64_t i = 0; i < A; ++i)
    if (slot_len_[i] >= capacity_)
      throw std::invalid_argument("sequence " + std::to_string(slot_seq_[i]) + " reached the cache capacity");
  std::vector<float> x(A * D);
  embedding_forward(x.data(), model_.params() + model_.layout().embed, slot_last_.data(), A, c.vocab_size, D);
  const detail::RopeTable rope = detail::make_rope_table(c, slot_len_);  // new token at position len
  std::vector<int32_t> cache_lens(A);
  for (int64_t i = 0; i < A; ++i) cache_lens[i] = slot_len_[i] + 1;
  detail::LayerActivations acts;
  acts.resize(c, A);
  const AttentionDecodeShape shape{A, cache_lens.data(), capacity_, c.num_heads, c.num_kv_heads, c.head_dim,
                                   static_cast<float>(1.0 / std::sqrt(double(c.head_dim)))};
  for (int l = 0; l < c.num_layers; ++l) {
    const Decoder::LayerWeights w = model_.layer_weights(l);
    rmsnorm_forward(acts.xn1.data(), nullptr, x.data(), w.input_norm, A, D, c.rms_norm_eps);
    detail::attention_inputs(c, w, A, rope, acts);
    for (int64_t i = 0; i < A; ++i) {
      const int64_t at = (i * capacity_ + slot_len_[i]) * kv;
      std::copy(acts.k.data() + i * kv, acts.k.data() + (i + 1) * kv, k_cache_[l].data() + at);
      std::copy(acts.v.data() + i * kv, acts.v.data() + (i + 1) * kv, v_cache_[l].data() + at);
    }
    attention_decode_forward(acts.attn.data(), nullptr, acts.q.data(), k_cache_[l].data(), v_cache_[l].data(), shape);
    detail::layer_output(c, w, x.data(), A, acts);
  }
  for (int64_t i = 0; i < A; ++i) ++slot_len_[i];
  return sample(x);
}

SampledTokens GenerationSession::sample(std::vector<float>& hidden) {
  const DecoderConfig& c = model_.config();
  const int64_t A = active(), D = c.hidden_size, V = c.vocab_size;
  rmsnorm_forward(hidden.data(), nullptr, hidden.data(), model_.params() + model_.layout().final_norm, A, D,
                  c.rms_norm_eps);
  std::vector<float> logits(A * V);
  model_.head_logits(logits.data(), hidden.data(), A);
  std::vector<double> u(A);
  for (int64_t i = 0; i < A; ++i) u[i] = rngs_[slot_seq_[i]].next_double();
  SampledTokens out;
  out.seq = slot_seq_;
  out.ids.resize(A);
  out.logp.resize(A);
  sample_tokens(out.ids.data(), out.logp.data(), logits.data(), u.data(), A, V, sampling_);
  slot_last_ = out.ids;
  return out;
}

}  // namespace r1
