/* Naive float64 rotary embedding (rotate_half convention): the oracle for the
 * rope tests. Angles straight from positions, no table. */
#pragma once

#include <cstdint>

namespace r1::ref {

// x (N, heads, Dh) rotated in place by +angle (inverse = false) or −angle.
void rope_ref(double* x, const int32_t* positions, int64_t num_tokens, int heads, int head_dim,
              double theta, double scaling_factor, bool inverse);

}  // namespace r1::ref
