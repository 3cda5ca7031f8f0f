/* CPU attention kernels (forward, backward, decode) against the float64
 * reference, on awkward shapes: empty and length-1 sequences, GQA groups
 * 1/2/7, head sizes that are not multiples of 8. Each shape runs with one
 * thread (fused backward tasks) and with three (split backward tasks for a
 * single sequence), and a repeat run must be bit-identical. */
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "check.h"
#include "common/thread_pool.h"
#include "kernels/attention.h"
#include "reference/attention_ref.h"

using namespace r1;

namespace {

struct Case {
  std::vector<int32_t> cu;
  int heads, kv_heads, head_dim;
  float scale;  // 0: 1/sqrt(Dh)
};

void check_case(const Case& c, std::mt19937& rng) {
  const int64_t n = c.cu.back();
  AttentionShape shape{n, int64_t(c.cu.size()) - 1, c.cu.data(), c.heads, c.kv_heads, c.head_dim,
                       c.scale != 0 ? c.scale : 1.0f / std::sqrt(float(c.head_dim))};
  const size_t qn = n * c.heads * c.head_dim, kn = n * c.kv_heads * c.head_dim;
  auto q = test::random_floats(rng, qn), k = test::random_floats(rng, kn);
  auto v = test::random_floats(rng, kn), dout = test::random_floats(rng, qn);
  std::vector<double> ref_out, ref_lse, ref_dq, ref_dk, ref_dv;
  ref::attention_forward(ref_out, ref_lse, q.data(), k.data(), v.data(), shape);
  ref::attention_backward(ref_dq, ref_dk, ref_dv, dout.data(), q.data(), k.data(), v.data(), shape);

  std::string name = "N=" + std::to_string(n) + " S=" + std::to_string(shape.num_seqs) +
                     " H=" + std::to_string(c.heads) + "/" + std::to_string(c.kv_heads) +
                     " Dh=" + std::to_string(c.head_dim);
  std::vector<float> first_dq;
  for (int threads : {1, 3}) {
    set_num_threads(threads);
    std::string tag = name + " threads=" + std::to_string(threads);
    std::vector<float> out(qn, NAN), lse(n * c.heads, NAN);
    attention_forward(out.data(), lse.data(), q.data(), k.data(), v.data(), shape);
    test::expect_close(tag + " out", out.data(), ref_out.data(), qn);
    test::expect_close(tag + " lse", lse.data(), ref_lse.data(), lse.size());

    std::vector<float> dq(qn, NAN), dk(kn, NAN), dv(kn, NAN);
    attention_backward(dq.data(), dk.data(), dv.data(), dout.data(), q.data(), k.data(), v.data(),
                       out.data(), lse.data(), shape);
    test::expect_close(tag + " dq", dq.data(), ref_dq.data(), qn);
    test::expect_close(tag + " dk", dk.data(), ref_dk.data(), kn);
    test::expect_close(tag + " dv", dv.data(), ref_dv.data(), kn);

    std::vector<float> dq2(qn), dk2(kn), dv2(kn);
    attention_backward(dq2.data(), dk2.data(), dv2.data(), dout.data(), q.data(), k.data(),
                       v.data(), out.data(), lse.data(), shape);
    test::expect_true(tag + " backward repeats bit-identically",
                      std::memcmp(dq.data(), dq2.data(), qn * 4) == 0 &&
                          std::memcmp(dk.data(), dk2.data(), kn * 4) == 0 &&
                          std::memcmp(dv.data(), dv2.data(), kn * 4) == 0);
  }
}

void check_decode(int64_t seqs, int64_t capacity, std::vector<int32_t> lens, int heads,
                  int kv_heads, int head_dim, std::mt19937& rng) {
  AttentionDecodeShape shape{seqs, lens.data(), capacity, heads, kv_heads, head_dim,
                             1.0f / std::sqrt(float(head_dim))};
  const size_t qn = seqs * heads * head_dim, cn = seqs * capacity * kv_heads * head_dim;
  auto q = test::random_floats(rng, qn);
  auto kc = test::random_floats(rng, cn), vc = test::random_floats(rng, cn);
  std::vector<double> ref_out, ref_lse;
  ref::attention_decode(ref_out, ref_lse, q.data(), kc.data(), vc.data(), shape);
  std::string tag = "decode S=" + std::to_string(seqs) + " C=" + std::to_string(capacity) +
                    " H=" + std::to_string(heads) + "/" + std::to_string(kv_heads) +
                    " Dh=" + std::to_string(head_dim);
  for (int threads : {1, 3}) {
    set_num_threads(threads);
    std::vector<float> out(qn, NAN), lse(seqs * heads, NAN);
    attention_decode_forward(out.data(), lse.data(), q.data(), kc.data(), vc.data(), shape);
    test::expect_close(tag + " out", out.data(), ref_out.data(), qn);
    test::expect_close(tag + " lse", lse.data(), ref_lse.data(), lse.size());
    std::vector<float> out_no_lse(qn, NAN);
    attention_decode_forward(out_no_lse.data(), nullptr, q.data(), kc.data(), vc.data(), shape);
    test::expect_true(tag + " out without lse matches",
                      std::memcmp(out.data(), out_no_lse.data(), qn * 4) == 0);
  }

  // The last row of full attention over one sequence's cache equals its decode row.
  const int64_t s = seqs - 1, len = lens[s];
  std::vector<int32_t> cu{0, int32_t(len)};
  std::vector<float> q_full(len * heads * head_dim, 0.0f), k_full, v_full;
  for (int64_t t = 0; t < len; ++t) {
    const float* src = kc.data() + (s * capacity + t) * kv_heads * head_dim;
    k_full.insert(k_full.end(), src, src + kv_heads * head_dim);
    src = vc.data() + (s * capacity + t) * kv_heads * head_dim;
    v_full.insert(v_full.end(), src, src + kv_heads * head_dim);
  }
  std::memcpy(q_full.data() + (len - 1) * heads * head_dim, q.data() + s * heads * head_dim,
              sizeof(float) * heads * head_dim);
  AttentionShape full{len, 1, cu.data(), heads, kv_heads, head_dim, shape.scale};
  std::vector<float> out_full(q_full.size()), lse_full(len * heads);
  attention_forward(out_full.data(), lse_full.data(), q_full.data(), k_full.data(), v_full.data(),
                    full);
  std::vector<float> out_dec(qn), lse_dec(seqs * heads);
  attention_decode_forward(out_dec.data(), lse_dec.data(), q.data(), kc.data(), vc.data(), shape);
  test::expect_close(tag + " equals last row of forward",
                     out_dec.data() + s * heads * head_dim,
                     out_full.data() + (len - 1) * heads * head_dim, size_t(heads) * head_dim);
}

}  // namespace

int main() {
  std::mt19937 rng(1234);
  check_case({{0, 1, 8, 8, 138}, 7, 1, 13, 0}, rng);   // lengths 1, 7, 0, 130; group 7
  check_case({{0, 130}, 4, 2, 64, 0}, rng);            // one sequence: split backward
  check_case({{0, 5, 70, 71}, 3, 3, 8, 0}, rng);       // group 1, length-1 tail
  check_case({{0, 70, 77}, 2, 1, 128, 0}, rng);
  check_case({{0, 33}, 2, 2, 256, 0}, rng);
  check_case({{0, 97}, 4, 1, 16, 1.0f}, rng);          // large scores: softmax stability
  check_decode(3, 150, {1, 77, 150}, 7, 1, 13, rng);
  check_decode(2, 70, {65, 3}, 4, 2, 64, rng);
  return test::finish();
}
