/* JS bindings for causal grouped-query attention: attention, attentionBackward,
 * attentionDecode. Shapes come from numHeads / numKvHeads / headDim and the
 * array lengths; every length is checked against them before any work runs. */
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "../kernels/attention.h"
#include "args.h"
#include "async_op.h"
#include "bindings.h"

namespace r1::addon {
namespace {

constexpr int64_t kMaxHeads = 4096;
constexpr int64_t kMaxHeadDim = 256;

struct Heads {
  int heads, kv_heads, head_dim;
  float scale;
};

Heads read_heads(ArgReader& args) {
  Heads h;
  h.heads = static_cast<int>(args.integer("numHeads", 1, kMaxHeads));
  h.kv_heads = static_cast<int>(args.integer("numKvHeads", 1, kMaxHeads));
  if (h.heads % h.kv_heads != 0) {
    throw args.range_error("numKvHeads = " + std::to_string(h.kv_heads) +
                           " must divide numHeads = " + std::to_string(h.heads));
  }
  h.head_dim = static_cast<int>(args.integer("headDim", 1, kMaxHeadDim));
  const double fallback = 1.0 / std::sqrt(static_cast<double>(h.head_dim));
  const double scale = args.number_or("scale", fallback, -3.0e38, 3.0e38);
  h.scale = static_cast<float>(scale);
  return h;
}

// Token count N from q (N, H, Dh).
int64_t token_count(ArgReader& args, const View<float>& q, const Heads& h, const char* name) {
  const int64_t row = int64_t(h.heads) * h.head_dim;
  if (q.length % row != 0) {
    throw args.range_error(std::string(name) + " has length " + std::to_string(q.length) +
                           ", not a multiple of numHeads × headDim = " + std::to_string(row));
  }
  return q.length / row;
}

// The forward inputs shared by attention and attentionBackward.
struct Inputs {
  Heads h;
  View<float> q, k, v;
  std::vector<int32_t> cu;  // a copy: JS may change the array while the worker runs
  int64_t n, s;
  AttentionShape shape() const {
    return {n, s, cu.data(), h.heads, h.kv_heads, h.head_dim, h.scale};
  }
};

Inputs read_inputs(ArgReader& args) {
  Inputs in;
  in.h = read_heads(args);
  in.q = args.f32("q");
  in.k = args.f32("k");
  in.v = args.f32("v");
  auto cu = args.i32("cuSeqlens");
  in.n = token_count(args, in.q, in.h, "q");
  const int64_t kv = in.n * in.h.kv_heads * in.h.head_dim;
  args.expect_length(in.k, "k", kv, "N × numKvHeads × headDim");
  args.expect_length(in.v, "v", kv, "N × numKvHeads × headDim");
  in.s = args.expect_cu_seqlens(cu, "cuSeqlens", in.n);
  in.cu.assign(cu.data, cu.data + cu.length);
  return in;
}

// { q (N,H,Dh), k, v (N,Hkv,Dh), cuSeqlens (S+1), numHeads, numKvHeads, headDim, scale? }
//   -> { out (N,H,Dh), lse (N,H) }
Napi::Value attention_js(const Napi::CallbackInfo& info) {
  ArgReader args(info, "attention");
  Inputs in = read_inputs(args);
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  auto out = new_output_f32(env, in.q.length);
  auto lse = new_output_f32(env, in.n * in.h.heads);
  result.Set("out", out);
  result.Set("lse", lse);
  float *out_data = out.Data(), *lse_data = lse.Data();
  return AsyncOp::run(env, "r1.attention", args.object(), result, [=] {
    const AttentionShape shape = in.shape();
    attention_forward(out_data, lse_data, in.q.data, in.k.data, in.v.data, shape);
  });
}

// The attention inputs + { out, lse, dOut (N,H,Dh) } -> { dq (N,H,Dh), dk, dv (N,Hkv,Dh) }
Napi::Value attention_backward_js(const Napi::CallbackInfo& info) {
  ArgReader args(info, "attentionBackward");
  Inputs in = read_inputs(args);
  auto out = args.f32("out"), lse = args.f32("lse"), dout = args.f32("dOut");
  args.expect_length(out, "out", in.q.length, "N × numHeads × headDim");
  args.expect_length(lse, "lse", in.n * in.h.heads, "N × numHeads");
  args.expect_length(dout, "dOut", in.q.length, "N × numHeads × headDim");
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  auto dq = new_output_f32(env, in.q.length);
  auto dk = new_output_f32(env, in.k.length);
  auto dv = new_output_f32(env, in.v.length);
  result.Set("dq", dq);
  result.Set("dk", dk);
  result.Set("dv", dv);
  float *dq_data = dq.Data(), *dk_data = dk.Data(), *dv_data = dv.Data();
  return AsyncOp::run(env, "r1.attentionBackward", args.object(), result, [=] {
    const AttentionShape shape = in.shape();
    attention_backward(dq_data, dk_data, dv_data, dout.data, in.q.data, in.k.data, in.v.data,
                       out.data, lse.data, shape);
  });
}

// { q (S,H,Dh), kCache, vCache (S,C,Hkv,Dh), cacheLens (S), cacheCapacity, numHeads,
//   numKvHeads, headDim, scale? } -> { out (S,H,Dh), lse (S,H) }
Napi::Value attention_decode_js(const Napi::CallbackInfo& info) {
  ArgReader args(info, "attentionDecode");
  Heads h = read_heads(args);
  const int64_t capacity = args.integer("cacheCapacity", 1, INT32_MAX);
  auto q = args.f32("q"), k_cache = args.f32("kCache"), v_cache = args.f32("vCache");
  auto lens = args.i32("cacheLens");
  const int64_t s = lens.length;
  args.expect_length(q, "q", s * h.heads * h.head_dim,
                     "S × numHeads × headDim, S = cacheLens.length");
  if (double(s) * double(capacity) * h.kv_heads * h.head_dim > 9.0e15) {
    throw args.range_error("kCache: cacheLens.length × cacheCapacity × numKvHeads × headDim "
                           "is too large");
  }
  const int64_t cache = s * capacity * h.kv_heads * h.head_dim;
  const char* cache_why = "S × cacheCapacity × numKvHeads × headDim";
  args.expect_length(k_cache, "kCache", cache, cache_why);
  args.expect_length(v_cache, "vCache", cache, cache_why);
  // A copy: JS may change the array while the worker runs.
  std::vector<int32_t> lens_copy(lens.data, lens.data + s);
  for (int64_t i = 0; i < s; ++i) {
    if (lens_copy[i] < 1 || lens_copy[i] > capacity) {
      throw args.range_error("cacheLens[" + std::to_string(i) + "] = " +
                             std::to_string(lens_copy[i]) + " is out of range [1, " +
                             "cacheCapacity = " + std::to_string(capacity) + "]");
    }
  }
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  auto out = new_output_f32(env, q.length);
  auto lse = new_output_f32(env, s * h.heads);
  result.Set("out", out);
  result.Set("lse", lse);
  float *out_data = out.Data(), *lse_data = lse.Data();
  return AsyncOp::run(env, "r1.attentionDecode", args.object(), result, [=] {
    const AttentionDecodeShape shape{s, lens_copy.data(), capacity, h.heads, h.kv_heads, h.head_dim,
                                     h.scale};
    attention_decode_forward(out_data, lse_data, q.data, k_cache.data, v_cache.data, shape);
  });
}

}  // namespace

void init_attention(Napi::Env env, Napi::Object exports) {
  exports.Set("attention", Napi::Function::New(env, attention_js, "attention"));
  exports.Set("attentionBackward",
              Napi::Function::New(env, attention_backward_js, "attentionBackward"));
  exports.Set("attentionDecode", Napi::Function::New(env, attention_decode_js, "attentionDecode"));
}

}  // namespace r1::addon
