/* Float64 AdamW written from the textbook formula (not torch's op order):
 * the oracle for the adamw tests. */
#pragma once

#include <cstdint>

#include "kernels/adamw.h"

namespace r1::ref {

// One step t (1-based): m = β1 m + (1−β1) g; v = β2 v + (1−β2) g²;
// p −= lr·(m̂ / (sqrt(v̂) + eps) + wd·p).
void adamw_step_ref(double* param, double* m, double* v, const double* grad, int64_t n,
                    const r1::AdamWConfig& config, int64_t step);

}  // namespace r1::ref
