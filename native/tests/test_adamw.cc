/* adamw_step over several steps against a float64 textbook AdamW, with grads
 * of mixed scale (eps matters for the tiny ones); the grad-norm helpers against
 * a double sum, thread-count independence, and bad arguments. */
#include <cmath>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "check.h"
#include "common/thread_pool.h"
#include "grad_check.h"
#include "kernels/adamw.h"
#include "reference/adamw_ref.h"

using namespace r1::test;

namespace {

void check_steps(std::mt19937& rng, int64_t n, const r1::AdamWConfig& c, const std::string& name) {
  std::string shape = " " + name + " n=" + std::to_string(n) +
                      " threads=" + std::to_string(r1::num_threads());
  auto p = random_floats(rng, n);
  std::vector<float> m(n, 0.0f), v(n, 0.0f);
  auto pd = to_double(p);
  std::vector<double> md(n, 0.0), vd(n, 0.0);
  const int steps = 10;
  bool ok = true;
  for (int t = 1; t <= steps; ++t) {
    auto g = random_floats(rng, n);
    for (int64_t i = 0; i < n; ++i) {
      if (i % 7 == 3) g[i] *= 1e-8f;   // sqrt(v̂) comparable to eps
      if (i % 11 == 5) g[i] *= 10.0f;
    }
    r1::adamw_step(p.data(), m.data(), v.data(), g.data(), n, c, t);
    auto gd = to_double(g);
    r1::ref::adamw_step_ref(pd.data(), md.data(), vd.data(), gd.data(), n, c, t);
    // Each step moves p by up to lr; the bound is far below a missing bias
    // correction, a wrong eps placement or coupled weight decay.
    std::string at = shape + " step=" + std::to_string(t);
    ok &= expect_close("adamw p" + at, p.data(), pd.data(), n, 2e-6, 1e-5);
    ok &= expect_close("adamw m" + at, m.data(), md.data(), n, 1e-5, 1e-5);
    ok &= expect_close("adamw v" + at, v.data(), vd.data(), n, 1e-8, 1e-5);
    if (!ok) return;
  }
}

void check_norm(std::mt19937& rng, int64_t n) {
  std::string shape = " n=" + std::to_string(n);
  auto g = random_floats(rng, n, -3, 3);
  double want = 0;
  for (float x : g) want += static_cast<double>(x) * x;
  double got[2];
  for (int t = 0; t < 2; ++t) {
    r1::set_num_threads(t + 1);
    got[t] = r1::grad_norm_squared(g.data(), n);
  }
  expect_true("grad_norm_squared matches a double sum to 1e-12" + shape,
              std::fabs(got[0] - want) <= 1e-12 * std::max(1.0, want));
  expect_true("grad_norm_squared bit-identical for 1 and 2 threads" + shape, got[0] == got[1]);

  auto scaled = g;
  float s = 0.37f;
  r1::scale_inplace(scaled.data(), n, s);
  bool same = true;
  for (int64_t i = 0; i < n; ++i) same &= scaled[i] == g[i] * s;
  expect_true("scale_inplace" + shape, same);
}

bool throws_naming(const std::function<void()>& fn, const std::string& field) {
  try {
    fn();
  } catch (const std::invalid_argument& e) {
    return std::string(e.what()).find(field) != std::string::npos;
  }
  return false;
}

void check_misc() {
  expect_true("grad_norm_squared of nothing is 0", r1::grad_norm_squared(nullptr, 0) == 0.0);
  expect_true("grad_clip_scale below the limit is 1", r1::grad_clip_scale(0.5, 1.0) == 1.0);
  expect_true("grad_clip_scale above the limit is max/(norm+1e-6)",
              std::fabs(r1::grad_clip_scale(4.0, 1.0) - 1.0 / (4.0 + 1e-6)) < 1e-15);
  float p = 1, m = 0, v = 0, g = 1;
  r1::AdamWConfig c;
  expect_true("adamw_step rejects step 0",
              throws_naming([&] { r1::adamw_step(&p, &m, &v, &g, 1, c, 0); }, "step"));
  c.beta2 = 1.0;
  expect_true("adamw_step rejects beta2 = 1",
              throws_naming([&] { r1::adamw_step(&p, &m, &v, &g, 1, c, 1); }, "beta2"));
  // First step with wd = 0 and default eps moves each weight by lr·g/(|g|+eps): almost lr.
  r1::AdamWConfig first;
  first.weight_decay = 0;
  first.lr = 0.5;
  p = 2, m = 0, v = 0, g = -3;
  r1::adamw_step(&p, &m, &v, &g, 1, first, 1);
  expect_true("adamw first step moves by lr against the gradient", std::fabs(p - 2.5f) < 1e-6f);
}

}  // namespace

int main() {
  std::mt19937 rng(5);
  r1::AdamWConfig trl;  // a typical fine-tuning setting
  trl.lr = 1e-2;
  trl.weight_decay = 0.1;
  r1::AdamWConfig no_momentum;
  no_momentum.lr = 3e-3;
  no_momentum.beta1 = 0.0;
  no_momentum.beta2 = 0.95;
  no_momentum.eps = 1e-6;
  no_momentum.weight_decay = 0.0;
  for (int threads : {1, 2}) {
    r1::set_num_threads(threads);
    for (int64_t n : {1, 7, 130, 13 * 896 + 5, 100003}) {
      check_steps(rng, n, trl, "lr=1e-2 wd=0.1");
      check_steps(rng, n, no_momentum, "beta1=0 beta2=0.95 eps=1e-6 wd=0");
    }
  }
  for (int64_t n : {1, 7, 8192, 8193, 100003}) check_norm(rng, n);
  check_misc();
  return finish();
}
