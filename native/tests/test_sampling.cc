/* sample_tokens against the float64 oracle: greedy and its equivalents
 * (top_k = 1, tiny top_p), exact ids for random u, frequencies over stratified
 * u that match the filtered distribution to within one draw, logp equal to the
 * full tempered log-softmax, a Qwen-sized vocabulary, and bad arguments. */
#include <cmath>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "check.h"
#include "common/rng.h"
#include "common/thread_pool.h"
#include "kernels/sampling.h"
#include "reference/sampling_ref.h"

using namespace r1::test;

namespace {

std::string describe(int64_t V, const r1::SamplingParams& p) {
  return " V=" + std::to_string(V) + " T=" + std::to_string(p.temperature) +
         " top_k=" + std::to_string(p.top_k) + " top_p=" + std::to_string(p.top_p) +
         " threads=" + std::to_string(r1::num_threads());
}

// Logits with ties at the top and a few masked tokens.
std::vector<float> make_logits(std::mt19937& rng, int64_t B, int64_t V, float scale) {
  auto z = random_floats(rng, B * V, -scale, scale);
  for (int64_t b = 0; b < B; ++b) {
    float* row = z.data() + b * V;
    if (V > 9) row[9] = row[5] = scale + 1;    // tie for the max: id 5 wins
    if (V > 20) row[17] = -INFINITY;
  }
  return z;
}

// Random-u draws: ids equal the oracle's, logp equals its log-softmax.
void check_against_ref(std::mt19937& rng, int64_t B, int64_t V, const r1::SamplingParams& p,
                       float scale) {
  std::string what = describe(V, p) + " B=" + std::to_string(B);
  auto z = make_logits(rng, B, V, scale);
  r1::Pcg32 gen(rng());
  std::vector<double> u(B);
  for (auto& x : u) x = gen.next_double();
  std::vector<int32_t> ids(B);
  std::vector<float> logp(B);
  r1::sample_tokens(ids.data(), logp.data(), z.data(), u.data(), B, V, p);
  std::vector<double> logp_ref(B);
  bool same = true;
  for (int64_t b = 0; b < B; ++b) {
    auto dist = r1::ref::sampling_distribution_ref(z.data() + b * V, V, p.temperature, p.top_k,
                                                   p.top_p);
    int32_t want = r1::ref::sample_ref(dist.probs, u[b]);
    if (ids[b] != want) {
      std::printf("     row %lld: got id %d, oracle %d (u=%.17g)\n", (long long)b, ids[b], want,
                  u[b]);
      same = false;
    }
    logp_ref[b] = dist.logp[ids[b]];
  }
  expect_true("sample_tokens ids equal the oracle's" + what, same);
  expect_close("sample_tokens logp = full log-softmax(z/T)[id]" + what, logp.data(),
               logp_ref.data(), B);
}

// M stratified u = (j + 0.5) / M over one row: each id is drawn within one of
// M · p times, and never when the filters removed it.
void check_frequencies(std::mt19937& rng, int64_t V, const r1::SamplingParams& p, int64_t M) {
  std::string what = describe(V, p) + " M=" + std::to_string(M);
  auto row = make_logits(rng, 1, V, 2.0f);
  auto dist = r1::ref::sampling_distribution_ref(row.data(), V, p.temperature, p.top_k, p.top_p);
  const int64_t batch = 256;
  std::vector<float> z(batch * V);
  for (int64_t b = 0; b < batch; ++b) std::copy(row.begin(), row.end(), z.begin() + b * V);
  std::vector<int64_t> count(V, 0);
  std::vector<double> u(batch);
  std::vector<int32_t> ids(batch);
  std::vector<float> logp(batch);
  for (int64_t j0 = 0; j0 < M; j0 += batch) {
    int64_t B = std::min(batch, M - j0);
    for (int64_t b = 0; b < B; ++b) u[b] = (j0 + b + 0.5) / M;
    r1::sample_tokens(ids.data(), logp.data(), z.data(), u.data(), B, V, p);
    for (int64_t b = 0; b < B; ++b) ++count[ids[b]];
  }
  double worst = 0;
  bool removed_never_drawn = true;
  int64_t support = 0;
  for (int64_t j = 0; j < V; ++j) {
    worst = std::max(worst, std::fabs(count[j] - M * dist.probs[j]));
    if (dist.probs[j] == 0 && count[j] != 0) removed_never_drawn = false;
    support += dist.probs[j] > 0;
  }
  std::printf("     %s: %lld tokens kept, worst |count - M p| = %.3f\n", what.c_str(),
              (long long)support, worst);
  expect_true("sample_tokens frequencies within one draw of M·p" + what, worst < 1.0 + 1e-6);
  expect_true("sample_tokens never draws a filtered token" + what, removed_never_drawn);
}

// Greedy, top_k = 1 and a tiny top_p all give the argmax (lowest id on ties).
void check_greedy(std::mt19937& rng, int64_t B, int64_t V) {
  auto z = make_logits(rng, B, V, 3.0f);
  std::vector<double> u(B);
  for (int64_t b = 0; b < B; ++b) u[b] = (b + 0.5) / B;
  std::vector<int32_t> argmax(B);
  for (int64_t b = 0; b < B; ++b) {
    int64_t best = 0;
    for (int64_t j = 1; j < V; ++j)
      if (z[b * V + j] > z[b * V + best]) best = j;
    argmax[b] = static_cast<int32_t>(best);
  }
  r1::SamplingParams greedy{0.0f, 0, 1.0f}, top1{0.8f, 1, 1.0f}, nucleus{1.5f, 0, 1e-6f};
  for (auto* p : {&greedy, &top1, &nucleus}) {
    std::vector<int32_t> ids(B);
    std::vector<float> logp(B);
    r1::sample_tokens(ids.data(), logp.data(), z.data(), u.data(), B, V, *p);
    std::vector<double> logp_ref(B);
    for (int64_t b = 0; b < B; ++b)
      logp_ref[b] =
          r1::ref::sampling_distribution_ref(z.data() + b * V, V, p->temperature, 0, 1).logp[ids[b]];
    std::string what = describe(V, *p) + " B=" + std::to_string(B);
    expect_true("argmax (lowest id on ties)" + what, ids == argmax);
    expect_close("greedy-equivalent logp" + what, logp.data(), logp_ref.data(), B);
  }
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
  std::vector<float> z = {0.5f, 1.0f, -1.0f, 2.0f};
  std::vector<double> u = {0.3, 0.7};
  int32_t ids[2];
  float logp[2];
  auto run = [&](r1::SamplingParams p) { r1::sample_tokens(ids, logp, z.data(), u.data(), 2, 2, p); };
  expect_true("rejects temperature < 0", throws_naming([&] { run({-1.0f, 0, 1.0f}); }, "temperature"));
  expect_true("rejects top_p = 0", throws_naming([&] { run({1.0f, 0, 0.0f}); }, "top_p"));
  expect_true("rejects top_k < 0", throws_naming([&] { run({1.0f, -2, 1.0f}); }, "top_k"));
  u[1] = 1.0;
  expect_true("rejects u = 1 naming the row", throws_naming([&] { run({1.0f, 0, 1.0f}); }, "row 1"));
  u[1] = 0.5;
  z[2] = NAN;
  expect_true("rejects a NaN logit naming the row", throws_naming([&] { run({1.0f, 0, 1.0f}); }, "row 1"));
  z[2] = -INFINITY;
  z[3] = -INFINITY;
  expect_true("rejects a row with no finite logit",
              throws_naming([&] { run({0.0f, 0, 1.0f}); }, "no finite logit"));
}

}  // namespace

int main() {
  std::mt19937 rng(2024);
  const r1::SamplingParams configs[] = {
      {1.0f, 0, 1.0f}, {0.7f, 20, 1.0f}, {1.3f, 0, 0.9f}, {0.6f, 50, 0.8f}, {1.0f, 3, 0.5f}};
  for (int threads : {1, 2}) {
    r1::set_num_threads(threads);
    for (int64_t V : {1, 13, 1000}) {
      check_greedy(rng, 7, V);
      for (const auto& p : configs) check_against_ref(rng, 130, V, p, 4.0f);
    }
  }
  for (int64_t V : {1, 13, 1000})
    for (const auto& p : configs) check_frequencies(rng, V, p, V == 1000 ? 10000 : 5000);
  // Qwen2-sized vocabulary: flat logits make top_p sort most of it, peaked ones stop early.
  const int64_t qwen_vocab = 151936;
  for (float scale : {1.0f, 12.0f})
    for (const r1::SamplingParams& p :
         {r1::SamplingParams{0.7f, 50, 1.0f}, r1::SamplingParams{1.0f, 0, 0.95f},
          r1::SamplingParams{1.0f, 0, 1.0f}})
      check_against_ref(rng, 3, qwen_vocab, p, scale);
  check_errors();
  return finish();
}
