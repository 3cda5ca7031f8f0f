/* Rotary embedding: the angle table in double, the rotation per token in parallel. */
#include "../kernels/rope.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "../common/thread_pool.h"
#include "multiversion.h"

namespace r1 {
namespace {

struct RotateArgs {
  float* x;            // (N, heads, Dh)
  const float* cos;    // (N, Dh/2)
  const float* sin;    // (N, Dh/2)
  int heads;
  int head_dim;
  float direction;     // +1 forward, −1 backward (sin θ → −sin θ)
};

R1_ALWAYS_INLINE void rope_rotate_body(const RotateArgs& a, int64_t begin, int64_t end) {
  const int half = a.head_dim / 2;
  for (int64_t n = begin; n < end; ++n) {
    const float* c = a.cos + n * half;
    const float* s = a.sin + n * half;
    for (int h = 0; h < a.heads; ++h) {
      float* x1 = a.x + (n * a.heads + h) * a.head_dim;
      float* x2 = x1 + half;
      for (int i = 0; i < half; ++i) {
        float si = a.direction * s[i];
        float u = x1[i], v = x2[i];
        x1[i] = u * c[i] - v * si;
        x2[i] = v * c[i] + u * si;
      }
    }
  }
}
R1_MULTIVERSION_RANGE(rope_rotate, RotateArgs)

void check_head_dim(int head_dim, const char* op) {
  if (head_dim < 2 || head_dim % 2 != 0)
    throw std::invalid_argument(std::string(op) + ": head_dim must be even and >= 2, got " +
                                std::to_string(head_dim));
}

void rotate(float* q, float* k, const float* cos, const float* sin, int64_t N, int H, int Hkv,
            int Dh, float direction, const char* op) {
  check_head_dim(Dh, op);
  if (N < 0) throw std::invalid_argument(std::string(op) + ": num_tokens must be >= 0");
  if (H < 0 || Hkv < 0) throw std::invalid_argument(std::string(op) + ": head counts must be >= 0");
  int64_t per_token = static_cast<int64_t>(H + (k ? Hkv : 0)) * Dh;
  int64_t grain = std::max<int64_t>(1, 8192 / std::max<int64_t>(1, per_token));
  RotateArgs qa{q, cos, sin, H, Dh, direction};
  RotateArgs ka{k, cos, sin, Hkv, Dh, direction};
  parallel_for(N, grain, [&](int64_t b, int64_t e) {
    if (q && H > 0) rope_rotate(qa, b, e);
    if (k && Hkv > 0) rope_rotate(ka, b, e);
  });
}

}  // namespace

void rope_table(float* cos, float* sin, const int32_t* positions, int64_t num_tokens,
                int head_dim, double theta, double scaling_factor) {
  check_head_dim(head_dim, "rope_table");
  if (!(theta > 0)) throw std::invalid_argument("rope_table: theta must be > 0");
  if (!(scaling_factor > 0))
    throw std::invalid_argument("rope_table: scaling_factor must be > 0");
  const int half = head_dim / 2;
  std::vector<double> inv_freq(half);
  for (int i = 0; i < half; ++i)
    inv_freq[i] = 1.0 / std::pow(theta, 2.0 * i / static_cast<double>(head_dim));
  parallel_for(num_tokens, std::max(1, 4096 / half), [&](int64_t b, int64_t e) {
    for (int64_t n = b; n < e; ++n) {
      double p = static_cast<double>(positions[n]) / scaling_factor;
      for (int i = 0; i < half; ++i) {
        double angle = p * inv_freq[i];
        cos[n * half + i] = static_cast<float>(std::cos(angle));
        sin[n * half + i] = static_cast<float>(std::sin(angle));
      }
    }
  });
}

void rope_forward(float* q, float* k, const float* cos, const float* sin, int64_t num_tokens,
                  int num_heads, int num_kv_heads, int head_dim) {
  rotate(q, k, cos, sin, num_tokens, num_heads, num_kv_heads, head_dim, 1.0f, "rope_forward");
}

void rope_backward(float* dq, float* dk, const float* cos, const float* sin, int64_t num_tokens,
                   int num_heads, int num_kv_heads, int head_dim) {
  rotate(dq, dk, cos, sin, num_tokens, num_heads, num_kv_heads, head_dim, -1.0f, "rope_backward");
}

}  // namespace r1
