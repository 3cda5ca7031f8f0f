/* swiglu against the float64 reference and by finite differences of it, over
 * awkward sizes, saturated gates and aliasing; plus the accuracy of the
 * vectorised exp it relies on. */
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "common/thread_pool.h"
#include "cpu/vec_math.h"
#include "grad_check.h"
#include "kernels/swiglu.h"
#include "reference/swiglu_ref.h"

using namespace r1::test;

namespace {

void check_exp() {
  double worst = 0;
  float worst_x = 0;
  for (float x = -87.0f; x <= 88.0f; x += 0.0137f) {
    double want = std::exp(static_cast<double>(x));
    double rel = std::fabs(r1::vec::exp_approx(x) - want) / want;
    if (rel > worst) worst = rel, worst_x = x;
  }
  std::printf("     exp_approx worst relative error %.3g at x=%g\n", worst, worst_x);
  expect_true("exp_approx relative error < 2e-7 on [-87, 88]", worst < 2e-7);
  expect_true("exp_approx(0) == 1", r1::vec::exp_approx(0.0f) == 1.0f);
  expect_true("exp_approx clamps: exp(-1000) tiny and positive, exp(1000) finite",
              r1::vec::exp_approx(-1000.0f) > 0 && r1::vec::exp_approx(-1000.0f) < 1e-37f &&
                  std::isfinite(r1::vec::exp_approx(1000.0f)));
  expect_true("exp_approx(NaN) is NaN", std::isnan(r1::vec::exp_approx(NAN)));
}

void check_case(std::mt19937& rng, int64_t N, int64_t F) {
  std::string shape = " N=" + std::to_string(N) + " F=" + std::to_string(F) +
                      " threads=" + std::to_string(r1::num_threads());
  const int64_t n = N * F;
  auto gate = random_floats(rng, n, -6, 6), up = random_floats(rng, n), dh = random_floats(rng, n);
  // Saturated gates: silu → 0 for very negative, → g for very positive.
  const float extremes[] = {-100.0f, -30.0f, -12.0f, 12.0f, 30.0f, 100.0f, 0.0f};
  for (int64_t i = 0; i < n; i += 5) gate[i] = extremes[(i / 5) % 7];
  std::vector<float> h(n), dgate(n), dup(n);
  r1::swiglu_forward(h.data(), gate.data(), up.data(), N, F);
  r1::swiglu_backward(dgate.data(), dup.data(), dh.data(), gate.data(), up.data(), N, F);

  auto gd = to_double(gate), ud = to_double(up), dhd = to_double(dh);
  std::vector<double> h_ref(n), dgate_ref(n), dup_ref(n);
  r1::ref::swiglu_forward_ref(h_ref.data(), gd.data(), ud.data(), n);
  r1::ref::swiglu_backward_ref(dgate_ref.data(), dup_ref.data(), dhd.data(), gd.data(), ud.data(),
                               n);
  expect_close("swiglu_forward" + shape, h.data(), h_ref.data(), n);
  expect_close("swiglu_backward dgate" + shape, dgate.data(), dgate_ref.data(), n);
  expect_close("swiglu_backward dup" + shape, dup.data(), dup_ref.data(), n);

  std::vector<double> hh(n);
  auto loss = [&] {
    r1::ref::swiglu_forward_ref(hh.data(), gd.data(), ud.data(), n);
    return weighted_sum(hh, dh);
  };
  expect_finite_difference("swiglu dgate" + shape, rng, gd, dgate.data(), loss);
  expect_finite_difference("swiglu dup" + shape, rng, ud, dup.data(), loss);

  // In place: h over gate; dgate over gate and dup over up.
  auto g2 = gate, u2 = up;
  r1::swiglu_forward(g2.data(), g2.data(), up.data(), N, F);
  expect_true("swiglu_forward in place" + shape,
              std::memcmp(g2.data(), h.data(), n * sizeof(float)) == 0);
  g2 = gate;
  r1::swiglu_backward(g2.data(), u2.data(), dh.data(), g2.data(), u2.data(), N, F);
  expect_true("swiglu_backward in place" + shape,
              std::memcmp(g2.data(), dgate.data(), n * sizeof(float)) == 0 &&
                  std::memcmp(u2.data(), dup.data(), n * sizeof(float)) == 0);
}

}  // namespace

int main() {
  std::mt19937 rng(7);
  check_exp();
  for (int threads : {1, 2}) {
    r1::set_num_threads(threads);
    for (int64_t N : {1, 7, 130})
      for (int64_t F : {1, 8, 13, 896}) check_case(rng, N, F);
  }
  return finish();
}
