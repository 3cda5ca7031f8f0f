/* PCG32 (PCG-XSH-RR 64/32, M. E. O'Neill 2014): the seeded generator behind
 * every random draw in native code. Small enough to mirror exactly in
 * TypeScript (BigInt for the 64-bit state).
 *
 *   seed(initstate, initseq):  state = 0; inc = (initseq << 1) | 1;
 *                              next(); state += initstate; next()
 *   next():  old = state; state = old · 6364136223846793005 + inc   (mod 2^64)
 *            xorshifted = u32(((old >> 18) ^ old) >> 27); rot = old >> 59
 *            return rotr32(xorshifted, rot)
 *
 * Pcg32(42, 54) gives 0xa15c02b7 0x7b47f409 0xba1d3330 0x83d2f293 0xbfa4784b
 * 0xcbed606e (pcg32-demo's published output; pinned by test_rng).
 *   next_float():  (next() >> 8) · 2^-24, in [0, 1) with 24 bits
 *   next_double(): ((next() >> 5) · 2^26 + (next() >> 6)) · 2^-53, in [0, 1)
 */
#pragma once

#include <cstdint>

namespace r1 {

class Pcg32 {
 public:
  explicit Pcg32(uint64_t initstate, uint64_t initseq = 0) {
    state_ = 0;
    inc_ = (initseq << 1) | 1u;
    next();
    state_ += initstate;
    next();
  }

  uint32_t next() {
    uint64_t old = state_;
    state_ = old * 6364136223846793005ULL + inc_;
    uint32_t xorshifted = static_cast<uint32_t>(((old >> 18) ^ old) >> 27);
    uint32_t rot = static_cast<uint32_t>(old >> 59);
    return (xorshifted >> rot) | (xorshifted << ((32 - rot) & 31));
  }

  float next_float() { return static_cast<float>(next() >> 8) * (1.0f / 16777216.0f); }

  double next_double() {
    uint64_t a = next() >> 5, b = next() >> 6;
    return static_cast<double>(a * 67108864ULL + b) * (1.0 / 9007199254740992.0);
  }

 private:
  uint64_t state_;
  uint64_t inc_;
};

}  // namespace r1
