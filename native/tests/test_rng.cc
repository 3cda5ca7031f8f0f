/* PCG32 against the published pcg32-demo vector, and the ranges of the
 * float/double draws. */
#include <cmath>
#include <cstdint>
#include <string>

#include "check.h"
#include "common/rng.h"

using namespace r1::test;

int main() {
  r1::Pcg32 rng(42, 54);
  const uint32_t want[6] = {0xa15c02b7u, 0x7b47f409u, 0xba1d3330u,
                            0x83d2f293u, 0xbfa4784bu, 0xcbed606eu};
  bool same = true;
  for (uint32_t w : want) same &= rng.next() == w;
  expect_true("Pcg32(42, 54) reproduces pcg32-demo's first six outputs", same);

  r1::Pcg32 a(7, 1), b(7, 1), c(7, 2);
  bool repeat = true, differ = false;
  for (int i = 0; i < 100; ++i) {
    uint32_t x = a.next();
    repeat &= x == b.next();
    differ |= x != c.next();
  }
  expect_true("same seed and stream repeat; another stream differs", repeat && differ);

  r1::Pcg32 u(123);
  bool in_range = true;
  double mean = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    float f = u.next_float();
    double d = u.next_double();
    in_range &= f >= 0.0f && f < 1.0f && d >= 0.0 && d < 1.0;
    mean += f;
  }
  mean /= n;
  expect_true("next_float and next_double lie in [0, 1)", in_range);
  // Standard error of the mean is 1/sqrt(12 n) ≈ 6.5e-4.
  expect_true("next_float mean is 0.5 within 5 standard errors", std::abs(mean - 0.5) < 3.3e-3);
  return finish();
}
