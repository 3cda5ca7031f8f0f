/* logprob_forward / logprob_backward against the double reference, over
 * awkward sizes, chunkings that do not divide V, temperatures != 1 and
 * rows with dlogp = 0. */
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "kernels/logprob.h"
#include "reference/logprob_ref.h"

using namespace r1;

namespace {

struct Case {
  int64_t N, D, V, chunk;
  float temperature;
  float scale;  // magnitude of hidden/weight entries
};

void run_case(const Case& c, std::mt19937& rng) {
  const std::string name = "N=" + std::to_string(c.N) + " D=" + std::to_string(c.D) +
                           " V=" + std::to_string(c.V) + " chunk=" + std::to_string(c.chunk) +
                           " T=" + std::to_string(c.temperature);
  auto hidden = test::random_floats(rng, c.N * c.D, -c.scale, c.scale);
  auto weight = test::random_floats(rng, c.V * c.D, -c.scale, c.scale);
  std::vector<int32_t> targets(c.N);
  std::uniform_int_distribution<int32_t> pick(0, static_cast<int32_t>(c.V - 1));
  for (auto& y : targets) y = pick(rng);
  if (c.N > 1) targets[1] = static_cast<int32_t>(c.V - 1);  // last vocab row, last chunk

  LogprobShape shape{c.N, c.D, c.V, c.temperature, c.chunk};
  std::vector<float> logp(c.N, NAN), lse(c.N, NAN), entropy(c.N, NAN);
  logprob_forward(logp.data(), lse.data(), entropy.data(), hidden.data(), weight.data(),
                  targets.data(), shape);
  std::vector<double> logp_ref(c.N), lse_ref(c.N), entropy_ref(c.N);
  ref::logprob_forward_ref(logp_ref.data(), lse_ref.data(), entropy_ref.data(), hidden.data(),
                           weight.data(), targets.data(), c.N, c.D, c.V, c.temperature);
  const bool chunked = c.chunk > 0 && c.chunk < c.V;
  const double atol = chunked ? 2e-5 : 1e-5, rtol = chunked ? 1e-3 : 5e-4;
  test::expect_close(name + " logp", logp.data(), logp_ref.data(), c.N, atol, rtol);
  test::expect_close(name + " lse", lse.data(), lse_ref.data(), c.N, atol, rtol);
  test::expect_close(name + " entropy", entropy.data(), entropy_ref.data(), c.N, atol, rtol);

  // Without entropy the other outputs are the same.
  std::vector<float> logp2(c.N, NAN), lse2(c.N, NAN);
  logprob_forward(logp2.data(), lse2.data(), nullptr, hidden.data(), weight.data(),
                  targets.data(), shape);
  test::expect_close(name + " logp (no entropy)", logp2.data(), logp_ref.data(), c.N, atol, rtol);

  // Backward: some rows with dlogp = 0 (skipped), dweight accumulates onto a non-zero start.
  auto dlogp = test::random_floats(rng, c.N, -1, 1);
  for (int64_t n = 0; n < c.N; n += 3) dlogp[n] = 0;
  if (c.N == 1) dlogp[0] = 0.7f;
  std::vector<float> dhidden(c.N * c.D, NAN);
  auto dweight = test::random_floats(rng, c.V * c.D, -1, 1);
  std::vector<double> dhidden_ref(c.N * c.D), dweight_ref(dweight.begin(), dweight.end());
  logprob_backward(dhidden.data(), dweight.data(), dlogp.data(), hidden.data(), weight.data(),
                   targets.data(), lse.data(), shape);
  ref::logprob_backward_ref(dhidden_ref.data(), dweight_ref.data(), dlogp.data(), hidden.data(),
                            weight.data(), targets.data(), c.N, c.D, c.V, c.temperature);
  test::expect_close(name + " dhidden", dhidden.data(), dhidden_ref.data(), dhidden.size(), atol,
                     rtol);
  test::expect_close(name + " dweight (+=)", dweight.data(), dweight_ref.data(), dweight.size(),
                     atol, rtol);
  bool zero_rows = true;
  for (int64_t n = 0; n < c.N; ++n) {
    if (dlogp[n] != 0) continue;
    for (int64_t k = 0; k < c.D; ++k) zero_rows &= dhidden[n * c.D + k] == 0.0f;
  }
  test::expect_true(name + " dhidden is exactly 0 where dlogp = 0", zero_rows);
}

}  // namespace

int main() {
  std::mt19937 rng(1234);
  const Case cases[] = {
      {1, 8, 1, 0, 1.0f, 1.0f},        // a one-word vocabulary: logp = 0, entropy = 0
      {1, 16, 37, 64, 0.7f, 1.0f},     // chunk larger than V
      {7, 24, 37, 8, 1.3f, 1.0f},      // 5 chunks, the last one short
      {130, 32, 1000, 64, 0.9f, 0.5f}, // token blocks not full, 16 chunks
      {300, 8, 257, 0, 1.0f, 1.0f},    // two token blocks, default chunk
      {9, 96, 5003, 4096, 0.6f, 0.3f}, // two chunks, the second one short
      {5, 64, 301, 50, 0.05f, 0.5f},   // sharp softmax: large logits, exp underflow
  };
  for (const Case& c : cases) run_case(c, rng);

  // N = 0 is a no-op.
  LogprobShape empty{0, 8, 5, 1.0f, 0};
  logprob_forward(nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, empty);
  logprob_backward(nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, empty);
  test::expect_true("N = 0 does nothing", true);
  return test::finish();
}
