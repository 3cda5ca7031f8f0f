/* The decoder's shape (Qwen2 / Llama / Qwen3 family) and the layout of its
 * parameters in one flat fp32 buffer, in Hugging Face tensor names. */
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace r1 {

struct DecoderConfig {
  int64_t vocab_size = 0;          // V
  int64_t hidden_size = 0;         // D
  int64_t intermediate_size = 0;   // F
  int num_layers = 0;              // L
  int num_heads = 0;               // H
  int num_kv_heads = 0;            // Hkv, divides H
  int head_dim = 0;                // Dh (even)
  float rms_norm_eps = 1e-6f;
  double rope_theta = 10000.0;
  double rope_scaling_factor = 1.0;  // linear rope_scaling; 1 = none
  bool tie_word_embeddings = false;
  bool attention_bias = false;     // q/k/v projections have biases (Qwen2)
  bool attention_output_bias = false;  // o_proj has a bias (Llama/Qwen3 attention_bias)
  bool qk_norm = false;            // per-head RMSNorm on q and k before RoPE (Qwen3)
};

struct ParamSpec {
  std::string name;
  std::vector<int64_t> shape;
  int64_t offset = 0;  // into the flat buffer, in floats
  int64_t numel = 0;
};

// Offsets of one layer's tensors in the flat buffer (-1 when absent).
struct LayerOffsets {
  int64_t input_norm, q_w, q_b, k_w, k_b, v_w, v_b, o_w, o_b, q_norm, k_norm, post_norm, gate_w,
      up_w, down_w;
};

struct ParamLayout {
  std::vector<ParamSpec> specs;  // Hugging Face order
  std::vector<LayerOffsets> layers;
  int64_t embed = 0, final_norm = 0, lm_head = 0;  // lm_head == embed when tied
  int64_t total = 0;                               // floats
};

// Throws std::invalid_argument naming the field when the config is not usable.
void validate_config(const DecoderConfig& config);
ParamLayout make_param_layout(const DecoderConfig& config);

}  // namespace r1
