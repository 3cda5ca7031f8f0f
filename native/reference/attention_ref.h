/* Naive float64 causal grouped-query attention, for the C++ kernel tests.
 * Same layouts and semantics as kernels/attention.h; results in double. The
 * backward uses the textbook softmax gradient dS = P ∘ (dP - rowsum(P ∘ dP)),
 * not the kernel's D = rowsum(dO ∘ O) shortcut, so the two are independent. */
#pragma once

#include <vector>

#include "../kernels/attention.h"

namespace r1::ref {

// out (N,H,Dh), lse (N,H); resized to fit.
void attention_forward(std::vector<double>& out, std::vector<double>& lse, const float* q,
                       const float* k, const float* v, const AttentionShape& shape);

// dq (N,H,Dh), dk, dv (N,Hkv,Dh); resized to fit.
void attention_backward(std::vector<double>& dq, std::vector<double>& dk, std::vector<double>& dv,
                        const float* dout, const float* q, const float* k, const float* v,
                        const AttentionShape& shape);

// out (S,H,Dh), lse (S,H) for one query per sequence against its cache.
void attention_decode(std::vector<double>& out, std::vector<double>& lse, const float* q,
                      const float* k_cache, const float* v_cache,
                      const AttentionDecodeShape& shape);

}  // namespace r1::ref
