/* Branch-free scalar math that GCC vectorises inside R1_MULTIVERSION_RANGE
 * bodies (libm's expf is a call and blocks vectorisation). */
#pragma once

#include <cstdint>
#include <cstring>

#include "multiversion.h"

namespace r1::vec {

// exp(x) for fp32, relative error below 2e-7 on [-87, 88]; inputs outside are
// clamped (exp(-87) ≈ 1.6e-38, exp(88) ≈ 1.7e38); NaN gives NaN.
// exp(x) = 2^n · exp(r), n = round(x·log2 e), r = x − n·ln 2 (Cody–Waite split),
// exp(r) by the Cephes expf polynomial on |r| ≤ ln2/2.
R1_ALWAYS_INLINE float exp_approx(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  // Adding 1.5·2^23 rounds to the nearest integer in the default rounding mode.
  const float magic = 12582912.0f;
  float n = (x * 1.44269504088896341f + magic) - magic;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float z = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * z + r + 1.0f;
  // 2^n from the exponent bits; n is in [-126, 127] after the clamp.
  int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// 1 / (1 + exp(-x)).
R1_ALWAYS_INLINE float sigmoid_approx(float x) { return 1.0f / (1.0f + exp_approx(-x)); }

}  // namespace r1::vec
