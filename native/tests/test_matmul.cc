/* sgemm and the linear-layer products against the float64 reference, over
 * awkward shapes, every transpose combination, alpha/beta, strided operands,
 * and 1 vs 2 threads. */
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "common/thread_pool.h"
#include "kernels/matmul.h"
#include "reference/matmul_ref.h"

using r1::test::expect_close;
using r1::test::random_floats;

namespace {

void check_sgemm(std::mt19937& rng, int64_t M, int64_t N, int64_t K, bool ta, bool tb, float alpha,
                 float beta, int64_t pad) {
  // Leading dimensions larger than the logical width exercise strides.
  int64_t lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
  auto A = random_floats(rng, static_cast<size_t>((ta ? K : M) * lda));
  auto B = random_floats(rng, static_cast<size_t>((tb ? N : K) * ldb));
  auto C = random_floats(rng, static_cast<size_t>(M * ldc));
  if (beta == 0) std::fill(C.begin(), C.end(), std::numeric_limits<float>::quiet_NaN());
  auto want = r1::ref::sgemm_ref(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta,
                                 C.data(), ldc);
  r1::sgemm(ta, tb, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
  std::vector<float> got(static_cast<size_t>(M * N));
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) got[i * N + j] = C[i * ldc + j];
  std::string name = "sgemm M=" + std::to_string(M) + " N=" + std::to_string(N) +
                     " K=" + std::to_string(K) + " ta=" + std::to_string(ta) +
                     " tb=" + std::to_string(tb) + " beta=" + std::to_string(beta) +
                     " pad=" + std::to_string(pad) + " threads=" + std::to_string(r1::num_threads());
  // Sums of K products of values in [-1, 1]: scale atol with sqrt(K).
  expect_close(name, got.data(), want.data(), got.size(), 1e-5 * std::sqrt(double(K)), 5e-4);
}

void check_linear(std::mt19937& rng, int64_t M, int64_t K, int64_t N) {
  auto x = random_floats(rng, M * K), w = random_floats(rng, N * K), b = random_floats(rng, N);
  auto dy = random_floats(rng, M * N);
  std::vector<float> y(M * N), dx(M * K), dw(N * K, 0.5f), db(N, 0.25f);
  r1::matmul_forward(y.data(), x.data(), w.data(), b.data(), M, K, N);
  r1::matmul_backward_input(dx.data(), dy.data(), w.data(), M, K, N, false);
  r1::matmul_backward_weight(dw.data(), db.data(), dy.data(), x.data(), M, K, N);
  auto y_ref = r1::ref::sgemm_ref(false, true, M, N, K, 1, x.data(), K, w.data(), K, 0, nullptr, 0);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) y_ref[i * N + j] += b[j];
  auto dx_ref = r1::ref::sgemm_ref(false, false, M, K, N, 1, dy.data(), N, w.data(), K, 0, nullptr, 0);
  std::vector<float> dw0(N * K, 0.5f);
  auto dw_ref = r1::ref::sgemm_ref(true, false, N, K, M, 1, dy.data(), N, x.data(), K, 1, dw0.data(), K);
  std::vector<double> db_ref(N, 0.25);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) db_ref[j] += dy[i * N + j];
  std::string shape = " M=" + std::to_string(M) + " K=" + std::to_string(K) + " N=" + std::to_string(N);
  double atol = 1e-5 * std::sqrt(double(std::max({M, K, N})));
  expect_close("matmul_forward" + shape, y.data(), y_ref.data(), y.size(), atol);
  expect_close("matmul_backward_input" + shape, dx.data(), dx_ref.data(), dx.size(), atol);
  expect_close("matmul_backward_weight dw" + shape, dw.data(), dw_ref.data(), dw.size(), atol);
  expect_close("matmul_backward_weight dbias" + shape, db.data(), db_ref.data(), db.size(), atol);
}

}  // namespace

int main() {
  std::mt19937 rng(1234);
  const int64_t shapes[][3] = {{1, 1, 1}, {7, 13, 5}, {6, 16, 256}, {130, 37, 300},
                               {97, 257, 513}, {1, 130, 7}, {200, 1, 33}};
  for (int threads : {1, 2}) {
    r1::set_num_threads(threads);
    for (auto& s : shapes)
      for (int ta = 0; ta < 2; ++ta)
        for (int tb = 0; tb < 2; ++tb) check_sgemm(rng, s[0], s[1], s[2], ta, tb, 0.7f, 0.3f, 0);
    check_sgemm(rng, 61, 45, 270, false, true, 1.0f, 0.0f, 3);
    check_sgemm(rng, 61, 45, 270, true, false, -2.0f, 1.0f, 5);
    check_sgemm(rng, 300, 2100, 20, false, true, 1.0f, 0.0f, 0);  // wider than one NC block
    for (int64_t m : {1, 2, 3, 8})  // the unpacked few-rows path (y = x·Wᵀ)
      for (float beta : {0.0f, 0.5f}) check_sgemm(rng, m, 301, 37 + 16 * m, false, true, 0.9f, beta, 2);
    check_linear(rng, 7, 13, 130);
    check_linear(rng, 130, 64, 33);
  }
  return r1::test::finish();
}
