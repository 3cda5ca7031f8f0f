/* Naive float64 RMSNorm: the oracle for the rmsnorm tests. */
#pragma once

#include <cstdint>

namespace r1::ref {

// x (rows, dim), weight (dim) -> y (rows, dim), rstd (rows; may be null).
void rmsnorm_forward_ref(double* y, double* rstd, const double* x, const double* weight,
                         int64_t rows, int64_t dim, double eps);

// dy (rows, dim) -> dx (rows, dim) overwritten, dweight (dim) +=. Recomputes
// rstd from x.
void rmsnorm_backward_ref(double* dx, double* dweight, const double* dy, const double* x,
                          const double* weight, int64_t rows, int64_t dim, double eps);

}  // namespace r1::ref
