/* Packed, register-blocked SGEMM (the BLIS/GotoBLAS scheme) and the linear-layer
 * products built on it.
 *
 * Loop nest for C (M,N) += op(A) (M,K) · op(B) (K,N):
 *   for jc in N step NC:            B block   (KC, NC) packed into NR-wide panels
 *     for pc in K step KC:
 *       pack B(pc:pc+KC, jc:jc+NC)
 *       for ic in M step MC:        A block   (MC, KC) packed into MR-tall panels
 *         pack A(ic:ic+MC, pc:pc+KC)
 *         for jr, ir: micro-kernel  C tile (MR, NR) kept in registers over KC
 * Packing absorbs the transposes, so one micro-kernel serves all layouts.
 * Threads take column (or row) slabs of C one at a time; each slab runs the
 * nest on its own, so results depend neither on timing nor on the thread count.
 */
#include "../kernels/matmul.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "../common/cpu_features.h"
#include "../common/thread_pool.h"
#include "matmul_microkernel.h"

namespace r1 {
namespace {

constexpr int64_t MR = gemm::MR;   // 6
constexpr int64_t NR = gemm::NR;   // 16
constexpr int64_t KC = 256;        // A panel (MR x KC) + B panel (KC x NR) stay in L1
constexpr int64_t MC = 96;         // A block (MC x KC) = 96 KiB, in L2
constexpr int64_t NC = 2048;       // B block (KC x NC) = 2 MiB, in L3

struct AlignedFree {
  void operator()(float* p) const { std::free(p); }
};

// Per-thread packing buffer that only grows.
float* scratch(std::unique_ptr<float, AlignedFree>& buf, size_t& capacity, size_t floats) {
  if (floats > capacity) {
    size_t bytes = ((floats * sizeof(float) + 63) / 64) * 64;
    buf.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
    if (!buf) throw std::bad_alloc();
    capacity = bytes / sizeof(float);
  }
  return buf.get();
}

struct Operand {
  const float* data;
  int64_t ld;
  bool trans;
  // Element (row, col) of op(X).
  float at(int64_t row, int64_t col) const { return trans ? data[col * ld + row] : data[row * ld + col]; }
};

// Packs op(A)(i0:i0+mc, p0:p0+kc) into panels [mc/MR][kc][MR], zero-padded.
void pack_a(float* dst, const Operand& a, int64_t i0, int64_t mc, int64_t p0, int64_t kc) {
  for (int64_t ir = 0; ir < mc; ir += MR) {
    int64_t mr = std::min(MR, mc - ir);
    if (!a.trans && mr == MR) {
      const float* rows[MR];
      for (int64_t r = 0; r < MR; ++r) rows[r] = a.data + (i0 + ir + r) * a.ld + p0;
      for (int64_t p = 0; p < kc; ++p)
        for (int64_t r = 0; r < MR; ++r) *dst++ = rows[r][p];
    } else if (a.trans && mr == MR) {
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = a.data + (p0 + p) * a.ld + i0 + ir;
        for (int64_t r = 0; r < MR; ++r) *dst++ = src[r];
      }
    } else {
      for (int64_t p = 0; p < kc; ++p)
        for (int64_t r = 0; r < MR; ++r) *dst++ = r < mr ? a.at(i0 + ir + r, p0 + p) : 0.0f;
    }
  }
}

// Packs op(B)(p0:p0+kc, j0:j0+nc) into panels [nc/NR][kc][NR], zero-padded.
void pack_b(float* dst, const Operand& b, int64_t p0, int64_t kc, int64_t j0, int64_t nc) {
  for (int64_t jr = 0; jr < nc; jr += NR) {
    int64_t nr = std::min(NR, nc - jr);
    if (!b.trans && nr == NR) {
      for (int64_t p = 0; p < kc; ++p) {
        std::memcpy(dst, b.data + (p0 + p) * b.ld + j0 + jr, NR * sizeof(float));
        dst += NR;
      }
    } else if (b.trans && nr == NR) {
      const float* cols[NR];
      for (int64_t c = 0; c < NR; ++c) cols[c] = b.data + (j0 + jr + c) * b.ld + p0;
      for (int64_t p = 0; p < kc; ++p)
        for (int64_t c = 0; c < NR; ++c) *dst++ = cols[c][p];
    } else {
      for (int64_t p = 0; p < kc; ++p)
        for (int64_t c = 0; c < NR; ++c) *dst++ = c < nr ? b.at(p0 + p, j0 + jr + c) : 0.0f;
    }
  }
}

// Serial GEMM on C(0:m, 0:n) with the given operands (already offset).
void gemm_serial(int64_t m, int64_t n, int64_t k, float alpha, const Operand& a, const Operand& b,
                 float beta, float* c, int64_t ldc) {
  static thread_local std::unique_ptr<float, AlignedFree> a_buf, b_buf;
  static thread_local size_t a_cap = 0, b_cap = 0;
  const gemm::MicroKernel kernel = cpu_has_avx2_fma() ? gemm::kernel_avx2 : gemm::kernel_portable;
  for (int64_t jc = 0; jc < n; jc += NC) {
    int64_t nc = std::min(NC, n - jc);
    int64_t nc_padded = (nc + NR - 1) / NR * NR;
    for (int64_t pc = 0; pc < k; pc += KC) {
      int64_t kc = std::min(KC, k - pc);
      float* bp = scratch(b_buf, b_cap, static_cast<size_t>(nc_padded * kc));
      pack_b(bp, b, pc, kc, jc, nc);
      float block_beta = pc == 0 ? beta : 1.0f;
      for (int64_t ic = 0; ic < m; ic += MC) {
        int64_t mc = std::min(MC, m - ic);
        int64_t mc_padded = (mc + MR - 1) / MR * MR;
        float* ap = scratch(a_buf, a_cap, static_cast<size_t>(mc_padded * kc));
        pack_a(ap, a, ic, mc, pc, kc);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          int64_t nr = std::min(NR, nc - jr);
          const float* bpanel = bp + jr * kc;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            int64_t mr = std::min(MR, mc - ir);
            float* ctile = c + (ic + ir) * ldc + jc + jr;
            const float* apanel = ap + ir * kc;
            if (mr == MR && nr == NR) {
              kernel(kc, apanel, bpanel, ctile, ldc, alpha, block_beta);
            } else {
              alignas(64) float tile[MR * NR];
              kernel(kc, apanel, bpanel, tile, NR, alpha, 0.0f);
              for (int64_t r = 0; r < mr; ++r)
                for (int64_t cc = 0; cc < nr; ++cc) {
                  float& dst = ctile[r * ldc + cc];
                  dst = (block_beta == 0.0f ? 0.0f : block_beta * dst) + tile[r * NR + cc];
                }
            }
          }
        }
      }
    }
  }
}

// Few rows against a weight stored (N, K) (y = x·Wᵀ, decode-sized M): every
// output is a dot product of two contiguous rows, so W streams through once
// with no packing — packing would copy the whole weight on every call.
constexpr int64_t kSmallM = 8;

void small_m_rows(int64_t m, int64_t n0, int64_t n1, int64_t k, float alpha, const float* A,
                  int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  const gemm::DotRows dot = cpu_has_avx2_fma() ? gemm::dot_rows_avx2 : gemm::dot_rows_portable;
  float acc[kSmallM];
  for (int64_t j = n0; j < n1; ++j) {
    dot(m, k, A, lda, B + j * ldb, acc);
    for (int64_t i = 0; i < m; ++i) {
      float& dst = C[i * ldc + j];
      dst = (beta == 0.0f ? 0.0f : beta * dst) + alpha * acc[i];
    }
  }
}

void scale_c(int64_t m, int64_t n, float beta, float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    float* row = c + i * ldc;
    if (beta == 0.0f) {
      std::fill(row, row + n, 0.0f);
    } else {
      for (int64_t j = 0; j < n; ++j) row[j] *= beta;
    }
  }
}

}  // namespace

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
           const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
           int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {
    if (beta != 1.0f) scale_c(M, N, beta, C, ldc);
    return;
  }
  if (M <= kSmallM && !trans_a && trans_b) {
    const int64_t grain = std::max<int64_t>(16, (int64_t(1) << 16) / std::max<int64_t>(K, 1));
    parallel_for(N, grain, [&](int64_t j0, int64_t j1) {
      small_m_rows(M, j0, j1, K, alpha, A, lda, B, ldb, beta, C, ldc);
    });
    return;
  }
  // Split the wider side of C into slabs aligned to the register tile, a few
  // per thread: the pool hands slabs out one at a time, so a core that is
  // busy with something else slows the call down less. Each element of C is
  // computed by one slab in a fixed order, so the result never depends on it.
  const int64_t flops = M * N * K;
  const bool split_n = N / NR >= M / MR;
  const int64_t unit = split_n ? NR : MR;
  const int64_t extent = split_n ? N : M;
  const int64_t units = (extent + unit - 1) / unit;
  const int64_t slabs = flops < (int64_t(1) << 18) ? 1 : std::min<int64_t>(units, 4 * num_threads());
  parallel_tasks(slabs, [&](int64_t slab) {
    const int64_t u0 = slab * units / slabs, u1 = (slab + 1) * units / slabs;
    const int64_t begin = u0 * unit, end = std::min(extent, u1 * unit);
    if (begin >= end) return;
    if (split_n) {
      Operand a{A, lda, trans_a};
      Operand b{trans_b ? B + begin * ldb : B + begin, ldb, trans_b};
      gemm_serial(M, end - begin, K, alpha, a, b, beta, C + begin, ldc);
    } else {
      Operand a{trans_a ? A + begin : A + begin * lda, lda, trans_a};
      Operand b{B, ldb, trans_b};
      gemm_serial(end - begin, N, K, alpha, a, b, beta, C + begin * ldc, ldc);
    }
  });
}

void matmul_forward(float* y, const float* x, const float* w, const float* bias, int64_t M,
                    int64_t K, int64_t N) {
  sgemm(false, true, M, N, K, 1.0f, x, K, w, K, 0.0f, y, N);
  if (bias) {
    parallel_for(M, 64, [&](int64_t m0, int64_t m1) {
      for (int64_t i = m0; i < m1; ++i)
        for (int64_t j = 0; j < N; ++j) y[i * N + j] += bias[j];
    });
  }
}

void matmul_backward_input(float* dx, const float* dy, const float* w, int64_t M, int64_t K,
                           int64_t N, bool accumulate) {
  sgemm(false, false, M, K, N, 1.0f, dy, N, w, K, accumulate ? 1.0f : 0.0f, dx, K);
}

void matmul_backward_weight(float* dw, float* dbias, const float* dy, const float* x, int64_t M,
                            int64_t K, int64_t N) {
  sgemm(true, false, N, K, M, 1.0f, dy, N, x, K, 1.0f, dw, K);
  if (dbias) {
    parallel_for(N, 64, [&](int64_t n0, int64_t n1) {
      for (int64_t i = 0; i < M; ++i)
        for (int64_t j = n0; j < n1; ++j) dbias[j] += dy[i * N + j];
    });
  }
}

}  // namespace r1
