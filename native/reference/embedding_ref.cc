#include "embedding_ref.h"

namespace r1::ref {

void embedding_forward_ref(double* out, const double* table, const int32_t* ids,
                           int64_t num_tokens, int64_t dim) {
  for (int64_t n = 0; n < num_tokens; ++n)
    for (int64_t d = 0; d < dim; ++d) out[n * dim + d] = table[ids[n] * dim + d];
}

void embedding_backward_ref(double* dtable, const double* dout, const int32_t* ids,
                            int64_t num_tokens, int64_t dim) {
  for (int64_t n = 0; n < num_tokens; ++n)
    for (int64_t d = 0; d < dim; ++d) dtable[ids[n] * dim + d] += dout[n * dim + d];
}

}  // namespace r1::ref
