/* embedding gather/scatter-add against the float64 reference and finite
 * differences of it, with heavily repeated ids, thread-count independence and
 * out-of-range ids. */
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "check.h"
#include "common/thread_pool.h"
#include "grad_check.h"
#include "kernels/embedding.h"
#include "reference/embedding_ref.h"

using namespace r1::test;

namespace {

std::vector<int32_t> random_ids(std::mt19937& rng, int64_t N, int64_t V) {
  std::uniform_int_distribution<int32_t> pick(0, static_cast<int32_t>(V - 1));
  std::vector<int32_t> ids(N);
  for (auto& id : ids) id = pick(rng);
  return ids;
}

void check_case(std::mt19937& rng, int64_t N, int64_t V, int64_t D) {
  std::string shape = " N=" + std::to_string(N) + " V=" + std::to_string(V) +
                      " D=" + std::to_string(D) + " threads=" + std::to_string(r1::num_threads());
  auto table = random_floats(rng, V * D), dout = random_floats(rng, N * D);
  auto dtable0 = random_floats(rng, V * D);
  auto ids = random_ids(rng, N, V);
  std::vector<float> out(N * D), dtable = dtable0;
  r1::embedding_forward(out.data(), table.data(), ids.data(), N, V, D);
  r1::embedding_backward(dtable.data(), dout.data(), ids.data(), N, V, D);

  auto td = to_double(table), doutd = to_double(dout);
  std::vector<double> out_ref(N * D), dtable_ref = to_double(dtable0);
  r1::ref::embedding_forward_ref(out_ref.data(), td.data(), ids.data(), N, D);
  r1::ref::embedding_backward_ref(dtable_ref.data(), doutd.data(), ids.data(), N, D);
  expect_close("embedding_forward" + shape, out.data(), out_ref.data(), out.size(), 0, 0);
  expect_close("embedding_backward" + shape, dtable.data(), dtable_ref.data(), dtable.size());

  std::vector<double> oo(N * D);
  auto loss = [&] {
    r1::ref::embedding_forward_ref(oo.data(), td.data(), ids.data(), N, D);
    return weighted_sum(oo, dout);
  };
  std::vector<float> delta(V * D);
  for (int64_t i = 0; i < V * D; ++i) delta[i] = dtable[i] - dtable0[i];
  // Sample rows that were looked up, where the gradient is nonzero.
  std::vector<double> rowd;
  int64_t row = ids[N / 2];
  rowd.assign(td.begin() + row * D, td.begin() + (row + 1) * D);
  auto loss_row = [&] {
    std::copy(rowd.begin(), rowd.end(), td.begin() + row * D);
    return loss();
  };
  expect_finite_difference("embedding dtable (looked-up row)" + shape, rng, rowd,
                           delta.data() + row * D, loss_row);
  std::copy(rowd.begin(), rowd.end(), td.begin() + row * D);
  expect_finite_difference("embedding dtable (any row)" + shape, rng, td, delta.data(), loss);
}

void check_thread_independence(std::mt19937& rng) {
  const int64_t N = 130, V = 3, D = 896;  // every row hit ~43 times
  auto dout = random_floats(rng, N * D);
  auto ids = random_ids(rng, N, V);
  std::vector<float> dtable[2];
  for (int t = 0; t < 2; ++t) {
    r1::set_num_threads(t + 1);
    dtable[t].assign(V * D, 0.0f);
    r1::embedding_backward(dtable[t].data(), dout.data(), ids.data(), N, V, D);
  }
  expect_true("embedding_backward bit-identical for 1 and 2 threads",
              std::memcmp(dtable[0].data(), dtable[1].data(), V * D * sizeof(float)) == 0);
}

void check_errors() {
  std::vector<float> table(4 * 3, 1.0f), out(2 * 3, 7.0f);
  int32_t bad[2] = {1, 4};
  std::string message;
  try {
    r1::embedding_forward(out.data(), table.data(), bad, 2, 4, 3);
  } catch (const std::out_of_range& e) {
    message = e.what();
  }
  expect_true("embedding_forward rejects id 4 with V=4, naming ids[1]",
              message.find("ids[1]") != std::string::npos);
  expect_true("embedding_forward writes nothing on a bad id", out[0] == 7.0f);
  int32_t negative[1] = {-1};
  bool threw = false;
  try {
    r1::embedding_backward(table.data(), out.data(), negative, 1, 4, 3);
  } catch (const std::out_of_range&) {
    threw = true;
  }
  expect_true("embedding_backward rejects a negative id", threw && table[0] == 1.0f);
}

}  // namespace

int main() {
  std::mt19937 rng(31);
  for (int threads : {1, 2}) {
    r1::set_num_threads(threads);
    for (int64_t N : {1, 7, 130})
      for (int64_t V : {1, 5, 1000})
        for (int64_t D : {1, 8, 13, 896}) check_case(rng, N, V, D);
  }
  check_thread_independence(rng);
  check_errors();
  return finish();
}
