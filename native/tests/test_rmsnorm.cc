/* rmsnorm forward/backward against the float64 reference and by finite
 * differences of it, over awkward shapes, aliasing and 1 vs 2 threads. */
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "check.h"
#include "common/thread_pool.h"
#include "grad_check.h"
#include "kernels/rmsnorm.h"
#include "reference/rmsnorm_ref.h"

using namespace r1::test;

namespace {

void check_case(std::mt19937& rng, int64_t N, int64_t D, float eps) {
  std::string shape = " N=" + std::to_string(N) + " D=" + std::to_string(D) +
                      " threads=" + std::to_string(r1::num_threads());
  auto x = random_floats(rng, N * D), w = random_floats(rng, D, 0.5f, 1.5f);
  auto dy = random_floats(rng, N * D), dw0 = random_floats(rng, D);
  // One row of large values and one of tiny values: the norm must not care.
  if (N > 2) {
    for (int64_t d = 0; d < D; ++d) x[1 * D + d] *= 100.0f, x[2 * D + d] *= 1e-2f;
  }
  std::vector<float> y(N * D), rstd(N), dx(N * D), dw = dw0;
  r1::rmsnorm_forward(y.data(), rstd.data(), x.data(), w.data(), N, D, eps);
  r1::rmsnorm_backward(dx.data(), dw.data(), dy.data(), x.data(), w.data(), rstd.data(), N, D);

  auto xd = to_double(x), wd = to_double(w), dyd = to_double(dy);
  std::vector<double> y_ref(N * D), rstd_ref(N), dx_ref(N * D), dw_ref = to_double(dw0);
  r1::ref::rmsnorm_forward_ref(y_ref.data(), rstd_ref.data(), xd.data(), wd.data(), N, D, eps);
  r1::ref::rmsnorm_backward_ref(dx_ref.data(), dw_ref.data(), dyd.data(), xd.data(), wd.data(), N,
                                D, eps);
  expect_close("rmsnorm_forward y" + shape, y.data(), y_ref.data(), y.size());
  // rstd of the 1e-2 row is ~100: relative tolerance carries it.
  expect_close("rmsnorm_forward rstd" + shape, rstd.data(), rstd_ref.data(), rstd.size());
  expect_close("rmsnorm_backward dx" + shape, dx.data(), dx_ref.data(), dx.size(), 1e-5, 5e-4);
  expect_close("rmsnorm_backward dweight" + shape, dw.data(), dw_ref.data(), dw.size(), 1e-5,
               5e-4);

  // Finite differences of L = Σ ref_forward(x, w) ∘ dy.
  std::vector<double> yy(N * D);
  auto loss = [&] {
    r1::ref::rmsnorm_forward_ref(yy.data(), nullptr, xd.data(), wd.data(), N, D, eps);
    return weighted_sum(yy, dy);
  };
  expect_finite_difference("rmsnorm reference dx" + shape, rng, xd, dx_ref.data(), loss, 6, 1e-7,
                           1e-6);
  expect_finite_difference("rmsnorm dx" + shape, rng, xd, dx.data(), loss);
  std::vector<float> dw_delta(D);
  for (int64_t d = 0; d < D; ++d) dw_delta[d] = dw[d] - dw0[d];
  expect_finite_difference("rmsnorm dweight" + shape, rng, wd, dw_delta.data(), loss, 4, 1e-5,
                           1e-3);

  // In place: y over x, dx over dy; no rstd output; no dweight.
  std::vector<float> xy = x, dyx = dy, rstd2(N);
  r1::rmsnorm_forward(xy.data(), nullptr, xy.data(), w.data(), N, D, eps);
  r1::rmsnorm_forward(y.data(), rstd2.data(), x.data(), w.data(), N, D, eps);
  expect_true("rmsnorm_forward in place, no rstd" + shape,
              std::memcmp(xy.data(), y.data(), y.size() * sizeof(float)) == 0);
  r1::rmsnorm_backward(dyx.data(), nullptr, dyx.data(), x.data(), w.data(), rstd.data(), N, D);
  expect_true("rmsnorm_backward in place, no dweight" + shape,
              std::memcmp(dyx.data(), dx.data(), dx.size() * sizeof(float)) == 0);
}

// dweight is summed per column in row order: identical for any thread count.
void check_thread_independence(std::mt19937& rng) {
  const int64_t N = 130, D = 896;
  auto x = random_floats(rng, N * D), w = random_floats(rng, D), dy = random_floats(rng, N * D);
  std::vector<float> y(N * D), rstd(N), dx(N * D), dw[2];
  for (int t = 0; t < 2; ++t) {
    r1::set_num_threads(t + 1);
    dw[t].assign(D, 0.0f);
    r1::rmsnorm_forward(y.data(), rstd.data(), x.data(), w.data(), N, D, 1e-6f);
    r1::rmsnorm_backward(dx.data(), dw[t].data(), dy.data(), x.data(), w.data(), rstd.data(), N, D);
  }
  expect_true("rmsnorm dweight bit-identical for 1 and 2 threads",
              std::memcmp(dw[0].data(), dw[1].data(), D * sizeof(float)) == 0);
}

void check_errors() {
  float x = 1, w = 1, y;
  bool threw = false;
  try {
    r1::rmsnorm_forward(&y, nullptr, &x, &w, 1, 0, 1e-6f);
  } catch (const std::invalid_argument& e) {
    threw = std::string(e.what()).find("dim") != std::string::npos;
  }
  expect_true("rmsnorm_forward rejects dim=0 naming the field", threw);
}

}  // namespace

int main() {
  std::mt19937 rng(1234);
  for (int threads : {1, 2}) {
    r1::set_num_threads(threads);
    for (int64_t N : {1, 7, 130})
      for (int64_t D : {1, 8, 13, 896}) check_case(rng, N, D, 1e-6f);
  }
  check_case(rng, 7, 64, 0.0f);  // eps = 0 (some configs) still finite for nonzero rows
  check_thread_independence(rng);
  check_errors();
  return finish();
}
