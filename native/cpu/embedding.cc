/* Embedding gather (rows in parallel) and scatter-add (column ranges in parallel). */
#include "../kernels/embedding.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "../common/thread_pool.h"
#include "multiversion.h"

namespace r1 {
namespace {

void check_ids(const int32_t* ids, int64_t N, int64_t V, int64_t D, const char* op) {
  if (N < 0 || V < 1 || D < 1)
    throw std::invalid_argument(std::string(op) +
                                ": num_tokens must be >= 0, vocab_size and dim >= 1");
  for (int64_t n = 0; n < N; ++n) {
    if (ids[n] < 0 || ids[n] >= V)
      throw std::out_of_range(std::string(op) + ": ids[" + std::to_string(n) + "] = " +
                              std::to_string(ids[n]) + " is outside [0, " + std::to_string(V) +
                              ")");
  }
}

struct ScatterArgs {
  float* dtable;
  const float* dout;
  const int32_t* ids;
  int64_t num_tokens;
  int64_t dim;
};

// Columns [begin, end) of every touched row, tokens in order.
R1_ALWAYS_INLINE void embedding_scatter_cols_body(const ScatterArgs& a, int64_t begin,
                                                  int64_t end) {
  const int64_t width = end - begin;
  for (int64_t n = 0; n < a.num_tokens; ++n) {
    float* dst = a.dtable + static_cast<int64_t>(a.ids[n]) * a.dim + begin;
    const float* src = a.dout + n * a.dim + begin;
    for (int64_t d = 0; d < width; ++d) dst[d] += src[d];
  }
}
R1_MULTIVERSION_RANGE(embedding_scatter_cols, ScatterArgs)

}  // namespace

void embedding_forward(float* out, const float* table, const int32_t* ids, int64_t num_tokens,
                       int64_t vocab_size, int64_t dim) {
  check_ids(ids, num_tokens, vocab_size, dim, "embedding_forward");
  parallel_for(num_tokens, std::max<int64_t>(1, 16384 / dim), [&](int64_t b, int64_t e) {
    for (int64_t n = b; n < e; ++n)
      std::memcpy(out + n * dim, table + static_cast<int64_t>(ids[n]) * dim,
                  static_cast<size_t>(dim) * sizeof(float));
  });
}

void embedding_backward(float* dtable, const float* dout, const int32_t* ids, int64_t num_tokens,
                        int64_t vocab_size, int64_t dim) {
  check_ids(ids, num_tokens, vocab_size, dim, "embedding_backward");
  ScatterArgs args{dtable, dout, ids, num_tokens, dim};
  // Ranges of at least 64 columns (a cache line is 16): workers never share a line
  // except at range edges.
  parallel_for(dim, 64, [&](int64_t b, int64_t e) { embedding_scatter_cols(args, b, e); });
}

}  // namespace r1
