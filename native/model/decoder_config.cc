#include "decoder_config.h"

#include <stdexcept>

namespace r1 {

void validate_config(const DecoderConfig& c) {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument("decoder config: " + what);
  };
  require(c.vocab_size >= 1, "vocabSize must be >= 1");
  require(c.hidden_size >= 1, "hiddenSize must be >= 1");
  require(c.intermediate_size >= 1, "intermediateSize must be >= 1");
  require(c.num_layers >= 1, "numLayers must be >= 1");
  require(c.num_heads >= 1, "numHeads must be >= 1");
  require(c.num_kv_heads >= 1 && c.num_heads % c.num_kv_heads == 0,
          "numKvHeads must divide numHeads");
  require(c.head_dim >= 2 && c.head_dim <= 256 && c.head_dim % 2 == 0,
          "headDim must be even and in [2, 256]");
  require(c.rms_norm_eps > 0, "rmsNormEps must be > 0");
  require(c.rope_theta > 0, "ropeTheta must be > 0");
  require(c.rope_scaling_factor > 0, "ropeScaling factor must be > 0");
}

ParamLayout make_param_layout(const DecoderConfig& c) {
  validate_config(c);
  ParamLayout layout;
  const int64_t D = c.hidden_size, F = c.intermediate_size, V = c.vocab_size;
  const int64_t q_out = int64_t(c.num_heads) * c.head_dim, kv_out = int64_t(c.num_kv_heads) * c.head_dim;
  auto add = [&](const std::string& name, std::vector<int64_t> shape) {
    ParamSpec spec{name, shape, layout.total, 1};
    for (int64_t d : shape) spec.numel *= d;
    layout.total += spec.numel;
    layout.specs.push_back(spec);
    return spec.offset;
  };
  layout.embed = add("model.embed_tokens.weight", {V, D});
  for (int i = 0; i < c.num_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    LayerOffsets o{};
    o.input_norm = add(p + "input_layernorm.weight", {D});
    o.q_w = add(p + "self_attn.q_proj.weight", {q_out, D});
    o.q_b = c.attention_bias ? add(p + "self_attn.q_proj.bias", {q_out}) : -1;
    o.k_w = add(p + "self_attn.k_proj.weight", {kv_out, D});
    o.k_b = c.attention_bias ? add(p + "self_attn.k_proj.bias", {kv_out}) : -1;
    o.v_w = add(p + "self_attn.v_proj.weight", {kv_out, D});
    o.v_b = c.attention_bias ? add(p + "self_attn.v_proj.bias", {kv_out}) : -1;
    o.o_w = add(p + "self_attn.o_proj.weight", {D, q_out});
    o.o_b = c.attention_output_bias ? add(p + "self_attn.o_proj.bias", {D}) : -1;
    o.q_norm = c.qk_norm ? add(p + "self_attn.q_norm.weight", {c.head_dim}) : -1;
    o.k_norm = c.qk_norm ? add(p + "self_attn.k_norm.weight", {c.head_dim}) : -1;
    o.post_norm = add(p + "post_attention_layernorm.weight", {D});
    o.gate_w = add(p + "mlp.gate_proj.weight", {F, D});
    o.up_w = add(p + "mlp.up_proj.weight", {F, D});
    o.down_w = add(p + "mlp.down_proj.weight", {D, F});
    layout.layers.push_back(o);
  }
  layout.final_norm = add("model.norm.weight", {D});
  layout.lm_head = c.tie_word_embeddings ? layout.embed : add("lm_head.weight", {V, D});
  return layout;
}

}  // namespace r1
