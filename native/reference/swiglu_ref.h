/* Naive float64 SwiGLU: the oracle for the swiglu tests. */
#pragma once

#include <cstdint>

namespace r1::ref {

// h (n) = silu(gate) · up over n elements.
void swiglu_forward_ref(double* h, const double* gate, const double* up, int64_t n);

// dgate, dup (n) overwritten from dh (n).
void swiglu_backward_ref(double* dgate, double* dup, const double* dh, const double* gate,
                         const double* up, int64_t n);

}  // namespace r1::ref
