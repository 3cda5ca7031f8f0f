/* SwiGLU forward/backward over the flat element range, in parallel chunks. */
#include "../kernels/swiglu.h"

#include <stdexcept>
#include <string>

#include "../common/thread_pool.h"
#include "multiversion.h"
#include "vec_math.h"

namespace r1 {
namespace {

struct SwigluArgs {
  float* h;
  float* dgate;
  float* dup;
  const float* dh;
  const float* gate;
  const float* up;
};

R1_ALWAYS_INLINE void swiglu_forward_range_body(const SwigluArgs& a, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) {
    float g = a.gate[i];
    a.h[i] = g * vec::sigmoid_approx(g) * a.up[i];
  }
}
R1_MULTIVERSION_RANGE(swiglu_forward_range, SwigluArgs)

R1_ALWAYS_INLINE void swiglu_backward_range_body(const SwigluArgs& a, int64_t begin,
                                                 int64_t end) {
  for (int64_t i = begin; i < end; ++i) {
    float g = a.gate[i], u = a.up[i], d = a.dh[i];
    float s = vec::sigmoid_approx(g);
    a.dgate[i] = d * u * s * (1.0f + g * (1.0f - s));
    a.dup[i] = d * g * s;
  }
}
R1_MULTIVERSION_RANGE(swiglu_backward_range, SwigluArgs)

int64_t element_count(int64_t N, int64_t F, const char* op) {
  if (N < 0 || F < 0) throw std::invalid_argument(std::string(op) + ": N and F must be >= 0");
  return N * F;
}

constexpr int64_t kGrain = 16384;

}  // namespace

void swiglu_forward(float* h, const float* gate, const float* up, int64_t N, int64_t F) {
  SwigluArgs args{h, nullptr, nullptr, nullptr, gate, up};
  parallel_for(element_count(N, F, "swiglu_forward"), kGrain,
               [&](int64_t b, int64_t e) { swiglu_forward_range(args, b, e); });
}

void swiglu_backward(float* dgate, float* dup, const float* dh, const float* gate,
                     const float* up, int64_t N, int64_t F) {
  SwigluArgs args{nullptr, dgate, dup, dh, gate, up};
  parallel_for(element_count(N, F, "swiglu_backward"), kGrain,
               [&](int64_t b, int64_t e) { swiglu_backward_range(args, b, e); });
}

}  // namespace r1
