/* rope against the float64 reference (angles from positions, no table) and by
 * finite differences of it: GQA head counts, packed positions up to 4096,
 * theta 1e4 / 1e6, linear scaling, q-only calls, bad arguments. */
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "check.h"
#include "common/thread_pool.h"
#include "grad_check.h"
#include "kernels/rope.h"
#include "reference/rope_ref.h"

using namespace r1::test;

namespace {

// Positions of packed sequences of random lengths, restarting at 0; the last
// sequence starts late so positions reach about max_pos.
std::vector<int32_t> packed_positions(std::mt19937& rng, int64_t N, int32_t max_pos) {
  std::vector<int32_t> pos(N);
  std::uniform_int_distribution<int> len(1, 40);
  int64_t n = 0;
  while (n < N) {
    int64_t l = std::min<int64_t>(len(rng), N - n);
    int32_t start = (n + l == N) ? max_pos - static_cast<int32_t>(l) : 0;
    for (int64_t i = 0; i < l; ++i) pos[n + i] = start + static_cast<int32_t>(i);
    n += l;
  }
  return pos;
}

void check_case(std::mt19937& rng, int64_t N, int H, int Hkv, int Dh, double theta,
                double factor) {
  std::string shape = " N=" + std::to_string(N) + " H=" + std::to_string(H) +
                      " Hkv=" + std::to_string(Hkv) + " Dh=" + std::to_string(Dh) +
                      " theta=" + std::to_string(theta) + " factor=" + std::to_string(factor) +
                      " threads=" + std::to_string(r1::num_threads());
  const int half = Dh / 2;
  auto pos = packed_positions(rng, N, 4096);
  std::vector<float> cos(N * half), sin(N * half);
  r1::rope_table(cos.data(), sin.data(), pos.data(), N, Dh, theta, factor);
  std::vector<double> cos_ref(N * half), sin_ref(N * half);
  for (int64_t n = 0; n < N; ++n)
    for (int i = 0; i < half; ++i) {
      double a = pos[n] / factor * std::pow(theta, -2.0 * i / Dh);
      cos_ref[n * half + i] = std::cos(a), sin_ref[n * half + i] = std::sin(a);
    }
  expect_close("rope_table cos" + shape, cos.data(), cos_ref.data(), cos.size(), 1e-7, 0);
  expect_close("rope_table sin" + shape, sin.data(), sin_ref.data(), sin.size(), 1e-7, 0);

  auto q = random_floats(rng, N * H * Dh), k = random_floats(rng, N * Hkv * Dh);
  auto q0 = q, k0 = k;
  r1::rope_forward(q.data(), k.data(), cos.data(), sin.data(), N, H, Hkv, Dh);
  auto q_ref = to_double(q0), k_ref = to_double(k0);
  r1::ref::rope_ref(q_ref.data(), pos.data(), N, H, Dh, theta, factor, false);
  r1::ref::rope_ref(k_ref.data(), pos.data(), N, Hkv, Dh, theta, factor, false);
  expect_close("rope_forward q" + shape, q.data(), q_ref.data(), q.size());
  expect_close("rope_forward k" + shape, k.data(), k_ref.data(), k.size());

  // Backward: the gradients rotated by −angle.
  auto dq = random_floats(rng, N * H * Dh), dk = random_floats(rng, N * Hkv * Dh);
  auto dq_in = dq, dk_in = dk;
  r1::rope_backward(dq.data(), dk.data(), cos.data(), sin.data(), N, H, Hkv, Dh);
  auto dq_ref = to_double(dq_in), dk_ref = to_double(dk_in);
  r1::ref::rope_ref(dq_ref.data(), pos.data(), N, H, Dh, theta, factor, true);
  r1::ref::rope_ref(dk_ref.data(), pos.data(), N, Hkv, Dh, theta, factor, true);
  expect_close("rope_backward dq" + shape, dq.data(), dq_ref.data(), dq.size());
  expect_close("rope_backward dk" + shape, dk.data(), dk_ref.data(), dk.size());

  // Finite differences of L = Σ rope_ref(q) ∘ dq_in (and the same for k).
  auto qd = to_double(q0), kd = to_double(k0);
  std::vector<double> tmp;
  auto loss_q = [&] {
    tmp = qd;
    r1::ref::rope_ref(tmp.data(), pos.data(), N, H, Dh, theta, factor, false);
    return weighted_sum(tmp, dq_in);
  };
  auto loss_k = [&] {
    tmp = kd;
    r1::ref::rope_ref(tmp.data(), pos.data(), N, Hkv, Dh, theta, factor, false);
    return weighted_sum(tmp, dk_in);
  };
  expect_finite_difference("rope dq" + shape, rng, qd, dq.data(), loss_q);
  expect_finite_difference("rope dk" + shape, rng, kd, dk.data(), loss_k);

  // q alone (k null) gives the same q; backward undoes forward.
  auto q_only = q0;
  r1::rope_forward(q_only.data(), nullptr, cos.data(), sin.data(), N, H, Hkv, Dh);
  expect_close("rope_forward q alone" + shape, q_only.data(), q.data(), q.size(), 0, 0);
  r1::rope_backward(q_only.data(), nullptr, cos.data(), sin.data(), N, H, Hkv, Dh);
  expect_close("rope backward∘forward = identity" + shape, q_only.data(), q0.data(), q0.size(),
               1e-6, 0);
}

bool throws_naming(const std::function<void()>& fn, const std::string& field) {
  try {
    fn();
  } catch (const std::invalid_argument& e) {
    return std::string(e.what()).find(field) != std::string::npos;
  }
  return false;
}

void check_errors() {
  std::vector<float> c(8), s(8), q(16);
  int32_t pos[2] = {0, 1};
  expect_true("rope_table rejects odd head_dim",
              throws_naming([&] { r1::rope_table(c.data(), s.data(), pos, 2, 7, 1e4, 1); },
                            "head_dim"));
  expect_true("rope_table rejects theta = 0",
              throws_naming([&] { r1::rope_table(c.data(), s.data(), pos, 2, 8, 0, 1); },
                            "theta"));
  expect_true("rope_table rejects scaling_factor = 0",
              throws_naming([&] { r1::rope_table(c.data(), s.data(), pos, 2, 8, 1e4, 0); },
                            "scaling_factor"));
  expect_true("rope_forward rejects odd head_dim",
              throws_naming([&] {
                r1::rope_forward(q.data(), nullptr, c.data(), s.data(), 2, 1, 0, 5);
              }, "head_dim"));
}

}  // namespace

int main() {
  std::mt19937 rng(99);
  for (int threads : {1, 2}) {
    r1::set_num_threads(threads);
    for (int64_t N : {1, 7, 130}) {
      check_case(rng, N, 14, 2, 64, 1e6, 1.0);  // Qwen2-0.5B geometry
      check_case(rng, N, 3, 1, 2, 1e4, 1.0);
      check_case(rng, N, 4, 4, 8, 1e4, 4.0);
      check_case(rng, N, 2, 1, 128, 1e6, 2.0);
    }
  }
  check_errors();
  return finish();
}
