/* Naive float64 embedding lookup and scatter-add: the oracle for the
 * embedding tests. */
#pragma once

#include <cstdint>

namespace r1::ref {

// out (N, D) = table[ids].
void embedding_forward_ref(double* out, const double* table, const int32_t* ids,
                           int64_t num_tokens, int64_t dim);

// dtable (V, D) += scatter of dout (N, D) rows.
void embedding_backward_ref(double* dtable, const double* dout, const int32_t* ids,
                            int64_t num_tokens, int64_t dim);

}  // namespace r1::ref
