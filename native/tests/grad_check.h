/* Finite-difference helpers for the backward tests: central differences of a
 * float64 reference loss at a few random coordinates. */
#pragma once

#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "check.h"

namespace r1::test {

inline std::vector<double> to_double(const std::vector<float>& v) {
  return std::vector<double>(v.begin(), v.end());
}

// Σ a ∘ b in double: the scalar loss L = Σ y ∘ dy whose gradient w.r.t. y is dy.
inline double weighted_sum(const std::vector<double>& y, const std::vector<float>& dy) {
  double s = 0;
  for (size_t i = 0; i < y.size(); ++i) s += y[i] * dy[i];
  return s;
}

// Checks grad[i] ≈ (L(x + h e_i) − L(x − h e_i)) / 2h at `samples` random
// coordinates i (all of them when x is that small). x is restored afterwards.
template <class Grad>
bool expect_finite_difference(const std::string& what, std::mt19937& rng, std::vector<double>& x,
                              const Grad* grad, const std::function<double()>& loss,
                              int samples = 6, double atol = 1e-5, double rtol = 5e-4) {
  std::uniform_int_distribution<size_t> pick(0, x.empty() ? 0 : x.size() - 1);
  size_t count = std::min<size_t>(x.size(), static_cast<size_t>(samples));
  for (size_t s = 0; s < count; ++s) {
    size_t i = x.size() <= static_cast<size_t>(samples) ? s : pick(rng);
    double saved = x[i];
    double h = 1e-6 * std::max(1.0, std::fabs(saved));
    x[i] = saved + h;
    double up = loss();
    x[i] = saved - h;
    double down = loss();
    x[i] = saved;
    double fd = (up - down) / (2 * h), g = static_cast<double>(grad[i]);
    if (!(std::fabs(g - fd) <= atol + rtol * std::fabs(fd))) {
      std::printf("FAIL %s: d/dx[%zu] got %.9g, finite difference %.9g\n", what.c_str(), i, g, fd);
      ++failures();
      return false;
    }
  }
  std::printf("ok   %s (%zu finite differences)\n", what.c_str(), count);
  return true;
}

}  // namespace r1::test
