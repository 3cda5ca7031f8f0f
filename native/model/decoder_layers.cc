/* One decoder layer, forward and backward:
 *   xn1 = rmsnorm(x);  q,k,v = xn1·Wᵀ + b;  [q,k = rmsnorm_head(q,k)];  rope(q,k)
 *   attn = causal_gqa(q, k, v);  x_mid = x + attn·Woᵀ
 *   xn2 = rmsnorm(x_mid);  act = silu(xn2·Wgᵀ) ∘ (xn2·Wuᵀ);  x_out = x_mid + act·Wdᵀ
 */
#include "decoder_layers.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "../common/profile.h"
#include "../common/thread_pool.h"
#include "../kernels/attention.h"
#include "../kernels/matmul.h"
#include "../kernels/rmsnorm.h"
#include "../kernels/rope.h"
#include "../kernels/swiglu.h"

namespace r1::detail {
namespace {

int64_t q_width(const DecoderConfig& c) { return int64_t(c.num_heads) * c.head_dim; }
int64_t kv_width(const DecoderConfig& c) { return int64_t(c.num_kv_heads) * c.head_dim; }

// a (n) += b (n)
void add_inplace(float* a, const float* b, int64_t n) {
  parallel_for(n, 1 << 14, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) a[i] += b[i];
  });
}

AttentionShape attention_shape(const DecoderConfig& c, int64_t n, const int32_t* cu,
                               int64_t num_seqs) {
  return {n, num_seqs, cu, c.num_heads, c.num_kv_heads, c.head_dim,
          static_cast<float>(1.0 / std::sqrt(double(c.head_dim)))};
}

}  // namespace

void LayerActivations::resize(const DecoderConfig& c, int64_t n) {
  const int64_t D = c.hidden_size, F = c.intermediate_size;
  x_in.resize(n * D);
  xn1.resize(n * D);
  rstd1.resize(n);
  if (c.qk_norm) {
    q_pre.resize(n * q_width(c));
    k_pre.resize(n * kv_width(c));
    rstd_q.resize(n * c.num_heads);
    rstd_k.resize(n * c.num_kv_heads);
  }
  q.resize(n * q_width(c));
  k.resize(n * kv_width(c));
  v.resize(n * kv_width(c));
  attn.resize(n * q_width(c));
  lse.resize(n * c.num_heads);
  x_mid.resize(n * D);
  xn2.resize(n * D);
  rstd2.resize(n);
  gate.resize(n * F);
  up.resize(n * F);
  act.resize(n * F);
}

void BackwardScratch::resize(const DecoderConfig& c, int64_t n) {
  const int64_t D = c.hidden_size, F = c.intermediate_size;
  for (auto* v : {&d_act, &dgate, &dup}) v->resize(n * F);
  for (auto* v : {&dxn, &dtmp}) v->resize(n * D);
  for (auto* v : {&d_attn, &dq}) v->resize(n * q_width(c));
  for (auto* v : {&dk, &dv}) v->resize(n * kv_width(c));
}

RopeTable make_rope_table(const DecoderConfig& c, const std::vector<int32_t>& positions) {
  RopeTable t;
  const int64_t n = static_cast<int64_t>(positions.size());
  t.cos.resize(n * c.head_dim / 2);
  t.sin.resize(n * c.head_dim / 2);
  rope_table(t.cos.data(), t.sin.data(), positions.data(), n, c.head_dim, c.rope_theta,
             c.rope_scaling_factor);
  return t;
}

void attention_inputs(const DecoderConfig& c, const Decoder::LayerWeights& w, int64_t n,
                      const RopeTable& rope, LayerActivations& a) {
  const int64_t D = c.hidden_size, qw = q_width(c), kw = kv_width(c);
  float* q_out = c.qk_norm ? a.q_pre.data() : a.q.data();
  float* k_out = c.qk_norm ? a.k_pre.data() : a.k.data();
  ScopedPhase phase("fwd qkv+rope");
  matmul_forward(q_out, a.xn1.data(), w.q_w, w.q_b, n, D, qw);
  matmul_forward(k_out, a.xn1.data(), w.k_w, w.k_b, n, D, kw);
  matmul_forward(a.v.data(), a.xn1.data(), w.v_w, w.v_b, n, D, kw);
  if (c.qk_norm) {
    rmsnorm_forward(a.q.data(), a.rstd_q.data(), a.q_pre.data(), w.q_norm, n * c.num_heads,
                    c.head_dim, c.rms_norm_eps);
    rmsnorm_forward(a.k.data(), a.rstd_k.data(), a.k_pre.data(), w.k_norm, n * c.num_kv_heads,
                    c.head_dim, c.rms_norm_eps);
  }
  rope_forward(a.q.data(), a.k.data(), rope.cos.data(), rope.sin.data(), n, c.num_heads,
               c.num_kv_heads, c.head_dim);
}

void layer_output(const DecoderConfig& c, const Decoder::LayerWeights& w, float* x, int64_t n,
                  LayerActivations& a) {
  const int64_t D = c.hidden_size, F = c.intermediate_size;
  ScopedPhase phase("fwd o+mlp");
  // x_mid = x + attn·Woᵀ
  matmul_forward(a.x_mid.data(), a.attn.data(), w.o_w, w.o_b, n, q_width(c), D);
  add_inplace(a.x_mid.data(), x, n * D);
  rmsnorm_forward(a.xn2.data(), a.rstd2.data(), a.x_mid.data(), w.post_norm, n, D,
                  c.rms_norm_eps);
  matmul_forward(a.gate.data(), a.xn2.data(), w.gate_w, nullptr, n, D, F);
  matmul_forward(a.up.data(), a.xn2.data(), w.up_w, nullptr, n, D, F);
  swiglu_forward(a.act.data(), a.gate.data(), a.up.data(), n, F);
  // x_out = x_mid + act·Wdᵀ
  matmul_forward(x, a.act.data(), w.down_w, nullptr, n, F, D);
  add_inplace(x, a.x_mid.data(), n * D);
}

void layer_forward(const DecoderConfig& c, const Decoder::LayerWeights& w, float* x, int64_t n,
                   const int32_t* cu_seqlens, int64_t num_seqs, const RopeTable& rope,
                   LayerActivations& a) {
  const int64_t D = c.hidden_size;
  std::copy(x, x + n * D, a.x_in.data());
  rmsnorm_forward(a.xn1.data(), a.rstd1.data(), x, w.input_norm, n, D, c.rms_norm_eps);
  attention_inputs(c, w, n, rope, a);
  ScopedPhase phase("fwd attention");
  attention_forward(a.attn.data(), a.lse.data(), a.q.data(), a.k.data(), a.v.data(),
                    attention_shape(c, n, cu_seqlens, num_seqs));
  layer_output(c, w, x, n, a);
}

void layer_backward(const DecoderConfig& c, const Decoder::LayerWeights& w,
                    const Decoder::LayerWeights& g, float* dx, int64_t n,
                    const int32_t* cu_seqlens, int64_t num_seqs, const RopeTable& rope,
                    const LayerActivations& a, BackwardScratch& s) {
  const int64_t D = c.hidden_size, F = c.intermediate_size, qw = q_width(c), kw = kv_width(c);
  s.resize(c, n);
  auto &d_act = s.d_act, &dgate = s.dgate, &dup = s.dup, &dxn = s.dxn, &dtmp = s.dtmp;
  auto &d_attn = s.d_attn, &dq = s.dq, &dk = s.dk, &dv = s.dv;
  auto grad = [](const float* p) { return const_cast<float*>(p); };
  // MLP: x_out = x_mid + act·Wdᵀ
  auto mlp_phase = std::make_unique<ScopedPhase>("bwd mlp");
  matmul_backward_input(d_act.data(), dx, w.down_w, n, F, D, false);
  matmul_backward_weight(grad(g.down_w), nullptr, dx, a.act.data(), n, F, D);
  swiglu_backward(dgate.data(), dup.data(), d_act.data(), a.gate.data(), a.up.data(), n, F);
  matmul_backward_input(dxn.data(), dgate.data(), w.gate_w, n, D, F, false);
  matmul_backward_input(dxn.data(), dup.data(), w.up_w, n, D, F, true);
  matmul_backward_weight(grad(g.gate_w), nullptr, dgate.data(), a.xn2.data(), n, D, F);
  matmul_backward_weight(grad(g.up_w), nullptr, dup.data(), a.xn2.data(), n, D, F);
  rmsnorm_backward(dtmp.data(), grad(g.post_norm), dxn.data(), a.x_mid.data(), w.post_norm,
                   a.rstd2.data(), n, D);
  add_inplace(dx, dtmp.data(), n * D);  // dx is now d(x_mid)

  mlp_phase.reset();
  // Attention: x_mid = x_in + attn·Woᵀ
  auto o_phase = std::make_unique<ScopedPhase>("bwd o_proj");
  matmul_backward_input(d_attn.data(), dx, w.o_w, n, qw, D, false);
  matmul_backward_weight(grad(g.o_w), grad(g.o_b), dx, a.attn.data(), n, qw, D);
  o_phase.reset();
  auto attn_phase = std::make_unique<ScopedPhase>("bwd attention");
  attention_backward(dq.data(), dk.data(), dv.data(), d_attn.data(), a.q.data(), a.k.data(),
                     a.v.data(), a.attn.data(), a.lse.data(),
                     attention_shape(c, n, cu_seqlens, num_seqs));
  attn_phase.reset();
  ScopedPhase qkv_phase("bwd rope+qkv");
  rope_backward(dq.data(), dk.data(), rope.cos.data(), rope.sin.data(), n, c.num_heads,
                c.num_kv_heads, c.head_dim);
  if (c.qk_norm) {
    rmsnorm_backward(dq.data(), grad(g.q_norm), dq.data(), a.q_pre.data(), w.q_norm,
                     a.rstd_q.data(), n * c.num_heads, c.head_dim);
    rmsnorm_backward(dk.data(), grad(g.k_norm), dk.data(), a.k_pre.data(), w.k_norm,
                     a.rstd_k.data(), n * c.num_kv_heads, c.head_dim);
  }
  matmul_backward_input(dxn.data(), dq.data(), w.q_w, n, D, qw, false);
  matmul_backward_input(dxn.data(), dk.data(), w.k_w, n, D, kw, true);
  matmul_backward_input(dxn.data(), dv.data(), w.v_w, n, D, kw, true);
  matmul_backward_weight(grad(g.q_w), grad(g.q_b), dq.data(), a.xn1.data(), n, D, qw);
  matmul_backward_weight(grad(g.k_w), grad(g.k_b), dk.data(), a.xn1.data(), n, D, kw);
  matmul_backward_weight(grad(g.v_w), grad(g.v_b), dv.data(), a.xn1.data(), n, D, kw);
  rmsnorm_backward(dtmp.data(), grad(g.input_norm), dxn.data(), a.x_in.data(), w.input_norm,
                   a.rstd1.data(), n, D);
  add_inplace(dx, dtmp.data(), n * D);  // dx is now d(x_in)
}

}  // namespace r1::detail
