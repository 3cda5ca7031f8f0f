/* Token embedding lookup and its gradient.
 *
 * The backward is a scatter-add without atomics: each worker owns a range of
 * the D columns and adds the dout rows into it in token order, so dtable is
 * bit-identical for any thread count. Ids are checked before anything is
 * written; an id outside [0, V) throws std::out_of_range naming the position.
 */
#pragma once

#include <cstdint>

namespace r1 {

// table (V, D), ids (N) -> out (N, D) overwritten.
void embedding_forward(float* out, const float* table, const int32_t* ids, int64_t num_tokens,
                       int64_t vocab_size, int64_t dim);

// dout (N, D) -> dtable (V, D) accumulated (+=): dtable[ids[n]] += dout[n].
void embedding_backward(float* dtable, const float* dout, const int32_t* ids, int64_t num_tokens,
                        int64_t vocab_size, int64_t dim);

}  // namespace r1
