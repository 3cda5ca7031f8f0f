/* Rotary position embedding, Hugging Face "rotate_half" convention
 * (Qwen2/Llama apply_rotary_pos_emb): within each head of Dh values the pairs
 * are (i, i + Dh/2), not interleaved (2i, 2i+1):
 *
 *   out[i]        = x[i] · cos θ_i − x[i + Dh/2] · sin θ_i
 *   out[i + Dh/2] = x[i + Dh/2] · cos θ_i + x[i] · sin θ_i,    i < Dh/2
 *   θ_i = (position / scaling_factor) · inv_freq[i],   inv_freq[i] = theta^(−2i/Dh)
 *
 * scaling_factor is rope_scaling {"type": "linear", "factor": f}; 1 = none.
 * Positions come from the caller (they restart at 0 in each packed sequence).
 *
 * The angles are computed once per forward by rope_table, in double, and the
 * table is shared by every layer and by backward. Hugging Face computes the
 * angles in fp32, which at position p is off by up to about p · 2^-24 rad
 * (~2.4e-4 at p = 4096); these tables are the exact angles rounded once.
 */
#pragma once

#include <cstdint>

namespace r1 {

// positions (N) -> cos, sin (N, Dh/2) overwritten. head_dim even, theta > 0,
// scaling_factor > 0.
void rope_table(float* cos, float* sin, const int32_t* positions, int64_t num_tokens,
                int head_dim, double theta, double scaling_factor);

// q (N, H, Dh) and k (N, Hkv, Dh) rotated in place by the table's angles.
// k may be null (or num_kv_heads 0) to rotate q alone.
void rope_forward(float* q, float* k, const float* cos, const float* sin, int64_t num_tokens,
                  int num_heads, int num_kv_heads, int head_dim);

// dq (N, H, Dh), dk (N, Hkv, Dh): gradients rotated in place by −angle (the
// transpose of the forward rotation). dk may be null.
void rope_backward(float* dq, float* dk, const float* cos, const float* sin, int64_t num_tokens,
                   int num_heads, int num_kv_heads, int head_dim);

}  // namespace r1
