/* Minimal helpers for the C++ kernel tests: seeded random data and
 * tolerance checks that report the first mismatch. Each test executable
 * returns non-zero when any check failed. */
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace r1::test {

inline int& failures() {
  static int count = 0;
  return count;
}

inline std::vector<float> random_floats(std::mt19937& rng, size_t n, float lo = -1, float hi = 1) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// |got - want| <= atol + rtol * |want| for every element.
template <class Want>
bool expect_close(const std::string& what, const float* got, const Want* want, size_t n,
                  double atol = 1e-5, double rtol = 5e-4) {
  for (size_t i = 0; i < n; ++i) {
    double g = got[i], w = static_cast<double>(want[i]);
    if (!(std::fabs(g - w) <= atol + rtol * std::fabs(w))) {
      std::printf("FAIL %s: element %zu got %.9g want %.9g\n", what.c_str(), i, g, w);
      ++failures();
      return false;
    }
  }
  std::printf("ok   %s (%zu elements)\n", what.c_str(), n);
  return true;
}

inline bool expect_true(const std::string& what, bool condition) {
  std::printf("%s %s\n", condition ? "ok  " : "FAIL", what.c_str());
  if (!condition) ++failures();
  return condition;
}

inline int finish() {
  if (failures()) std::printf("%d check(s) failed\n", failures());
  return failures() ? 1 : 0;
}

}  // namespace r1::test
