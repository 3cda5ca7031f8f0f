/* The policy model: a Qwen2/Llama/Qwen3-family decoder on fp32 CPU kernels,
 * with forward over packed sequences, backward for every parameter, gradient
 * accumulation over micro-batches, clipped AdamW, and token-aligned
 * log-probabilities through the fused log-prob kernel (no (N, V) logits).
 *
 * Token alignment: logp[n] = log p(tokens[n] | tokens before n in the same
 * sequence) and is 0 at each sequence's first position; a loss mask marks the
 * tokens whose logp enters the loss (never a first position).
 */
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "../kernels/adamw.h"
#include "../kernels/grpo_loss.h"
#include "decoder_config.h"

namespace r1::detail {
struct LayerActivations;
struct BackwardScratch;
}  // namespace r1::detail

namespace r1 {

struct PackedBatchView {
  int64_t num_tokens = 0;          // N
  int64_t num_seqs = 0;            // S
  const int32_t* tokens = nullptr;      // (N)
  const int32_t* cu_seqlens = nullptr;  // (S+1)
};

enum class TrainLossKind { grpo, sft };

struct TrainLoss {
  TrainLossKind kind = TrainLossKind::sft;
  const uint8_t* loss_mask = nullptr;  // (N), token-aligned
  float temperature = 1.0f;            // logits are divided by it
  // GRPO (kind == grpo): per-token advantages and optional old/ref log-probs.
  const float* advantages = nullptr;   // (N)
  const float* old_logp = nullptr;     // (N) or null
  const float* ref_logp = nullptr;     // (N) or null
  GrpoLossOptions grpo;
  // SFT (kind == sft): loss = −Σ mask·logp / denominator (0: the mask count).
  double sft_denominator = 0;
  // Loss and gradients are multiplied by this (e.g. 1 / micro-batches).
  double loss_scale = 1.0;
};

struct TrainMetrics {
  double loss = 0;
  int64_t active_tokens = 0;
  double mean_entropy = 0;  // over active tokens
  GrpoLossMetrics grpo;     // kind == grpo
};

struct OptimizerStepResult {
  double grad_norm = 0;     // before clipping
  double clip_scale = 1;
};

class Decoder {
 public:
  explicit Decoder(const DecoderConfig& config);
  ~Decoder();

  const DecoderConfig& config() const { return config_; }
  const ParamLayout& layout() const { return layout_; }
  float* params() { return params_.data(); }
  const float* params() const { return params_.data(); }
  // Accumulated gradients (all zero before the first backward).
  const float* grads() const { return grads_.data(); }

  // logp (N) and entropy (N, may be null) overwritten; only tokens with
  // rows[n] != 0 are computed when rows is non-null (others are 0).
  void logprobs(float* logp, float* entropy, const PackedBatchView& batch, float temperature,
                const uint8_t* rows) const;

  // Forward + loss + backward; gradients are added to the accumulated ones.
  // logp_out (N) receives the token-aligned log-probs when non-null.
  TrainMetrics forward_backward(const PackedBatchView& batch, const TrainLoss& loss,
                                float* logp_out);

  void zero_grad();

  // Clips the global gradient norm to max_grad_norm (<= 0: no clipping), then
  // one AdamW step. Weight decay skips 1-D tensors (norms, biases), as the
  // Hugging Face Trainer does.
  OptimizerStepResult optimizer_step(const AdamWConfig& adam, double max_grad_norm);
  int64_t optimizer_steps() const { return step_; }

  // AdamW moments (each layout().total floats; empty before the first step)
  // and the step count, for checkpoints that resume exactly.
  const std::vector<float>& adam_m() const { return adam_m_; }
  const std::vector<float>& adam_v() const { return adam_v_; }
  void set_optimizer_state(std::vector<float> m, std::vector<float> v, int64_t step);

  // A copy of the weights with no gradients or optimizer state (a frozen
  // reference model).
  std::unique_ptr<Decoder> frozen_copy() const;

  // Final-norm hidden rows (rows, D) -> logits (rows, V) through the LM head.
  void head_logits(float* logits, const float* hidden, int64_t rows) const;

  // One layer's parameters or gradients as pointers (null when absent).
  struct LayerWeights {
    const float *input_norm, *q_w, *q_b, *k_w, *k_b, *v_w, *v_b, *o_w, *o_b, *q_norm, *k_norm,
        *post_norm, *gate_w, *up_w, *down_w;
  };
  LayerWeights layer_weights(int layer) const;
  // The same views into the accumulated gradients.
  LayerWeights layer_gradients(int layer);

 private:
  DecoderConfig config_;
  ParamLayout layout_;
  std::vector<float> params_;
  std::vector<float> grads_;
  std::vector<float> adam_m_, adam_v_;
  int64_t step_ = 0;
  // Activations and backward temporaries kept between training steps (grown,
  // never shrunk), so steps do not page-fault fresh memory.
  std::vector<detail::LayerActivations> acts_;
  std::unique_ptr<detail::BackwardScratch> scratch_;
};

// Positions restarting at 0 in each sequence: (N).
std::vector<int32_t> packed_positions(const PackedBatchView& batch);

}  // namespace r1
