/* Tile operations of the CPU attention kernels (native/cpu/attention.cc): the
 * small products and the softmax row steps every tile is made of. Two builds,
 * AVX2/FMA and portable, chosen once at run time (R1_DISABLE_AVX2=1 forces the
 * portable one). */
#pragma once

#include <cstdint>

namespace r1::attention_tiles {

constexpr int kKeyBlock = 64;  // keys per tile; the row stride of score tiles

inline int round8(int n) { return (n + 7) & ~7; }

// C (m, n) (+)= A (m, k) · B (k, n). A(r, p) is a[r*ars + p*acs], so a transposed A
// is just other strides. n is a multiple of 8.
using GemmFn = void (*)(int m, int n, int k, const float* a, int64_t ars, int64_t acs,
                        const float* b, int64_t ldb, float* c, int64_t ldc, bool accumulate);
// Forward online-softmax step on one row of raw scores s (n, a multiple of 8): scales,
// masks j >= valid, replaces s by exp(x - m_new) (0 where masked), updates the running
// max m and sum l. Returns alpha = exp(m_old - m_new), which rescales the row's output.
using SoftmaxFn = float (*)(float* s, int n, int valid, float scale, float* m, float* l);
// Backward: raw scores s (n) become P = exp(scale·s - lse), 0 for j >= valid.
using ProbsFn = void (*)(float* s, int n, int valid, float scale, float lse);

struct TileOps {
  GemmFn gemm;
  SoftmaxFn softmax;
  ProbsFn probs;
};

const TileOps& tile_ops();

}  // namespace r1::attention_tiles
