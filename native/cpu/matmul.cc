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
 * Each B block is packed once and shared; threads then take (MC rows × a slice
 * of panels) tasks one at a time (see gemm_blocked).
 */
#include "../kernels/matmul.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>

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
      for (int64_t c = 0; c < NR; ++c) cols[c] = b.data + (j0 + jr + c) * b.ld;
      if (cpu_has_avx2_fma()) {
        gemm::pack_rows16_avx2(dst, cols, p0, kc);
      } else {
        for (int64_t p = 0; p < kc; ++p)
          for (int64_t c = 0; c < NR; ++c) dst[p * NR + c] = cols[c][p0 + p];
      }
      dst += kc * NR;
    } else {
      for (int64_t p = 0; p < kc; ++p)
        for (int64_t c = 0; c < NR; ++c) *dst++ = c < nr ? b.at(p0 + p, j0 + jr + c) : 0.0f;
    }
  }
}

// One (MC-row block of A) × (a range of B panels) task of the macro-kernel.
void macro_tile(const float* ap, const float* bp, int64_t ic, int64_t mc, int64_t kc, int64_t jc,
                int64_t jr0, int64_t jr1, int64_t nc, float alpha, float beta, float* c,
                int64_t ldc, gemm::MicroKernel kernel) {
  for (int64_t jr = jr0; jr < jr1; jr += NR) {
    const int64_t nr = std::min(NR, nc - jr);
    const float* bpanel = bp + jr * kc;
    for (int64_t ir = 0; ir < mc; ir += MR) {
      const int64_t mr = std::min(MR, mc - ir);
      float* ctile = c + (ic + ir) * ldc + jc + jr;
      const float* apanel = ap + ir * kc;
      if (mr == MR && nr == NR) {
        kernel(kc, apanel, bpanel, ctile, ldc, alpha, beta);
      } else {
        alignas(64) float tile[MR * NR];
        kernel(kc, apanel, bpanel, tile, NR, alpha, 0.0f);
        for (int64_t r = 0; r < mr; ++r)
          for (int64_t cc = 0; cc < nr; ++cc) {
            float& dst = ctile[r * ldc + cc];
            dst = (beta == 0.0f ? 0.0f : beta * dst) + tile[r * NR + cc];
          }
      }
    }
  }
}

// The blocked GEMM. For each KC slice of the inner dimension, all of A's rows
// are packed once (in parallel) and reused for every NC block of B; each B
// block is packed once (in parallel) into a buffer all threads share. Then
// tasks of (MC rows) × (a slice of the block's panels) are handed out one at a
// time, so a core busy with other work takes fewer. Every element of C is
// computed by one task in a fixed order: results do not depend on the thread
// count or on timing.
void gemm_blocked(int64_t m, int64_t n, int64_t k, float alpha, const Operand& a,
                  const Operand& b, float beta, float* c, int64_t ldc) {
  static thread_local std::unique_ptr<float, AlignedFree> a_buf, b_buf;
  static thread_local size_t a_cap = 0, b_cap = 0;
  const gemm::MicroKernel kernel = cpu_has_avx2_fma() ? gemm::kernel_avx2 : gemm::kernel_portable;
  const bool serial = m * n * k < (int64_t(1) << 18) || num_threads() == 1;
  const int64_t threads = serial ? 1 : num_threads();
  const int64_t m_blocks = (m + MC - 1) / MC;
  const int64_t m_padded = (m + MR - 1) / MR * MR;
  // Tasks in the shared parallel phases: the i-th of `count` covers [i·total/count, (i+1)·total/count).
  auto split = [](int64_t i, int64_t count, int64_t total) { return std::pair<int64_t, int64_t>{i * total / count, (i + 1) * total / count}; };
  for (int64_t pc = 0; pc < k; pc += KC) {
    const int64_t kc = std::min(KC, k - pc);
    float* ap = scratch(a_buf, a_cap, static_cast<size_t>(m_padded * kc));
    parallel_tasks(serial ? 1 : std::min<int64_t>(m_blocks, 4 * threads), [&](int64_t t) {
      const int64_t count = serial ? 1 : std::min<int64_t>(m_blocks, 4 * threads);
      const auto [b0, b1] = split(t, count, m_blocks);
      for (int64_t ib = b0; ib < b1; ++ib) {
        const int64_t ic = ib * MC;
        pack_a(ap + ic * kc, a, ic, std::min(MC, m - ic), pc, kc);
      }
    });
    const float block_beta = pc == 0 ? beta : 1.0f;
    for (int64_t jc = 0; jc < n; jc += NC) {
      const int64_t nc = std::min(NC, n - jc);
      const int64_t panels = (nc + NR - 1) / NR;
      float* bp = scratch(b_buf, b_cap, static_cast<size_t>(panels * NR * kc));
      const int64_t pack_tasks = serial ? 1 : std::min<int64_t>(panels, 4 * threads);
      parallel_tasks(pack_tasks, [&](int64_t t) {
        const auto [p0, p1] = split(t, pack_tasks, panels);
        if (p0 < p1) pack_b(bp + p0 * NR * kc, b, pc, kc, jc + p0 * NR, std::min(nc, p1 * NR) - p0 * NR);
      });
      // Enough panel slices that every thread has several tasks.
      const int64_t slices = serial ? 1 : std::min<int64_t>(panels, std::max<int64_t>(1, (4 * threads + m_blocks - 1) / m_blocks));
      parallel_tasks(m_blocks * slices, [&](int64_t t) {
        const int64_t ib = t / slices, slice = t % slices;
        const int64_t ic = ib * MC;
        const auto [q0, q1] = split(slice, slices, panels);
        const int64_t jr0 = q0 * NR, jr1 = std::min(nc, q1 * NR);
        if (jr0 < jr1)
          macro_tile(ap + ic * kc, bp, ic, std::min(MC, m - ic), kc, jc, jr0, jr1, nc, alpha, block_beta, c, ldc, kernel);
      });
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
  gemm_blocked(M, N, K, alpha, Operand{A, lda, trans_a}, Operand{B, ldb, trans_b}, beta, C, ldc);
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
