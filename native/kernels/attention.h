/* Causal grouped-query attention over variable-length packed sequences.
 *
 * Layouts (row-major): q (N, H, Dh); k, v (N, Hkv, Dh); out (N, H, Dh);
 * lse (N, H). cu_seqlens (S+1) gives sequence boundaries in [0, N]; token t of
 * sequence s attends to tokens cu_seqlens[s] .. t. Query head h reads KV head
 * h / (H / Hkv). scores = scale · q·k; lse is the natural-log log-sum-exp of the
 * scaled scores of each (token, head) row.
 *
 * Forward and backward are flash-attention style: online softmax over K/V
 * tiles, backward recomputes probabilities from lse with D = rowsum(dO ∘ O);
 * no (T x T) matrix beyond one tile per worker.
 */
#pragma once

#include <cstdint>

namespace r1 {

struct AttentionShape {
  int64_t num_tokens;          // N
  int64_t num_seqs;            // S
  const int32_t* cu_seqlens;   // (S+1), non-decreasing, cu[0] = 0, cu[S] = N
  int num_heads;               // H
  int num_kv_heads;            // Hkv, divides H
  int head_dim;                // Dh, 1..256
  float scale;                 // usually 1/sqrt(Dh)
};

// out (N,H,Dh), lse (N,H) overwritten.
void attention_forward(float* out, float* lse, const float* q, const float* k, const float* v,
                       const AttentionShape& shape);

// dq (N,H,Dh), dk (N,Hkv,Dh), dv (N,Hkv,Dh) overwritten.
void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* q,
                        const float* k, const float* v, const float* out, const float* lse,
                        const AttentionShape& shape);

struct AttentionDecodeShape {
  int64_t num_seqs;            // S: one new query token per sequence
  const int32_t* cache_lens;   // (S): valid cache positions per sequence, new token included (>= 1)
  int64_t cache_capacity;      // C: positions allocated per sequence in the cache
  int num_heads;
  int num_kv_heads;
  int head_dim;
  float scale;
};

// q (S,H,Dh); k_cache, v_cache (S, C, Hkv, Dh) -> out (S,H,Dh), lse (S,H) overwritten
// (lse may be null). Query of sequence s attends to cache positions [0, cache_lens[s]).
void attention_decode_forward(float* out, float* lse, const float* q, const float* k_cache,
                              const float* v_cache, const AttentionDecodeShape& shape);

}  // namespace r1
