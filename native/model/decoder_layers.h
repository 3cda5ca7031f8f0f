/* The decoder's layer-level forward and backward, shared by training,
 * log-prob scoring and KV-cache generation. Internal to native/model. */
#pragma once

#include <cstdint>
#include <vector>

#include "decoder.h"

namespace r1::detail {

// What one layer's forward keeps for its backward, for N tokens.
struct LayerActivations {
  std::vector<float> x_in;            // (N, D) layer input
  std::vector<float> xn1, rstd1;      // (N, D), (N) input_layernorm
  std::vector<float> q_pre, k_pre;    // (N, H·Dh), (N, Hkv·Dh) before q/k norm (qk_norm only)
  std::vector<float> rstd_q, rstd_k;  // (N·H), (N·Hkv)                         (qk_norm only)
  std::vector<float> q, k, v;         // (N, H·Dh), (N, Hkv·Dh) ×2, after RoPE
  std::vector<float> attn, lse;       // (N, H·Dh), (N, H)
  std::vector<float> x_mid;           // (N, D) after the attention residual
  std::vector<float> xn2, rstd2;      // (N, D), (N) post_attention_layernorm
  std::vector<float> gate, up, act;   // (N, F)

  void resize(const DecoderConfig& c, int64_t n);
};

// Temporaries of one layer's backward, kept between calls so a training step
// does not zero-fill and page-fault fresh buffers for every layer.
struct BackwardScratch {
  std::vector<float> d_act, dgate, dup, dxn, dtmp;  // (N, F) ×3, (N, D) ×2
  std::vector<float> d_attn, dq, dk, dv;            // (N, H·Dh) ×2, (N, Hkv·Dh) ×2
  void resize(const DecoderConfig& c, int64_t n);
};

struct RopeTable {
  std::vector<float> cos, sin;  // (N, Dh/2)
};

RopeTable make_rope_table(const DecoderConfig& c, const std::vector<int32_t>& positions);

// x (N, D) in place: one layer forward; `acts` receives everything backward
// needs. cu_seqlens (S+1) delimits the packed sequences for attention.
void layer_forward(const DecoderConfig& c, const Decoder::LayerWeights& w, float* x, int64_t n,
                   const int32_t* cu_seqlens, int64_t num_seqs, const RopeTable& rope,
                   LayerActivations& acts);

// Projections + norm + RoPE for the attention inputs (used by prefill and
// decode, which run attention against a cache instead).
void attention_inputs(const DecoderConfig& c, const Decoder::LayerWeights& w, int64_t n,
                      const RopeTable& rope, LayerActivations& acts);
// o_proj + residual + MLP + residual, from acts.attn, x in place.
void layer_output(const DecoderConfig& c, const Decoder::LayerWeights& w, float* x, int64_t n,
                  LayerActivations& acts);

// dx (N, D) in place: gradient w.r.t. the layer output in, w.r.t. its input
// out; parameter gradients are added into g.
void layer_backward(const DecoderConfig& c, const Decoder::LayerWeights& w,
                    const Decoder::LayerWeights& g, float* dx, int64_t n,
                    const int32_t* cu_seqlens, int64_t num_seqs, const RopeTable& rope,
                    const LayerActivations& acts, BackwardScratch& scratch);

}  // namespace r1::detail
