/* JS bindings for the linear-layer products: matmul, matmulBackwardInput,
 * matmulBackwardWeight. */
#include <napi.h>

#include "../kernels/matmul.h"
#include "args.h"
#include "async_op.h"
#include "bindings.h"

namespace r1::addon {
namespace {

constexpr int64_t kMaxDim = int64_t(1) << 31;

struct Dims {
  int64_t m, k, n;
};

Dims read_dims(ArgReader& args) {
  return {args.integer("m", 1, kMaxDim), args.integer("k", 1, kMaxDim),
          args.integer("n", 1, kMaxDim)};
}

std::string dims_text(const char* a, const char* b) { return std::string(a) + " × " + b; }

// { x (m,k), weight (n,k), bias? (n), out? (m,n), m, k, n } -> { y (m,n) }
// `out` (like numpy's out=) is written in place and returned as y, so a caller
// that multiplies repeatedly reuses one buffer instead of faulting in a fresh one.
Napi::Value matmul(const Napi::CallbackInfo& info) {
  ArgReader args(info, "matmul");
  Dims d = read_dims(args);
  auto x = args.f32("x"), w = args.f32("weight"), bias = args.f32("bias", true);
  args.expect_length(x, "x", d.m * d.k, dims_text("m", "k"));
  args.expect_length(w, "weight", d.n * d.k, dims_text("n", "k"));
  if (bias.present()) args.expect_length(bias, "bias", d.n, "n");
  auto out = args.f32("out", true);
  if (out.present()) {
    args.expect_length(out, "out", d.m * d.n, dims_text("m", "n"));
    if (out.data == x.data || out.data == w.data || (bias.present() && out.data == bias.data))
      throw args.range_error("out must not share memory with x, weight or bias");
  }
  Napi::Object result = Napi::Object::New(info.Env());
  float* y_data;
  if (out.present()) {
    result.Set("y", args.object().Get("out"));
    y_data = out.data;
  } else {
    auto y = new_output_f32(info.Env(), d.m * d.n);
    result.Set("y", y);
    y_data = y.Data();
  }
  return AsyncOp::run(info.Env(), "r1.matmul", args.object(), result, [=] {
    matmul_forward(y_data, x.data, w.data, bias.data, d.m, d.k, d.n);
  });
}

// { dy (m,n), weight (n,k), m, k, n } -> { dx (m,k) }
Napi::Value matmul_backward_input_js(const Napi::CallbackInfo& info) {
  ArgReader args(info, "matmulBackwardInput");
  Dims d = read_dims(args);
  auto dy = args.f32("dy"), w = args.f32("weight");
  args.expect_length(dy, "dy", d.m * d.n, dims_text("m", "n"));
  args.expect_length(w, "weight", d.n * d.k, dims_text("n", "k"));
  Napi::Object result = Napi::Object::New(info.Env());
  auto dx = new_output_f32(info.Env(), d.m * d.k);
  result.Set("dx", dx);
  float* dx_data = dx.Data();
  return AsyncOp::run(info.Env(), "r1.matmulBackwardInput", args.object(), result, [=] {
    matmul_backward_input(dx_data, dy.data, w.data, d.m, d.k, d.n, false);
  });
}

// { dy (m,n), x (m,k), m, k, n, withBias? } -> { dWeight (n,k), dBias? (n) }
Napi::Value matmul_backward_weight_js(const Napi::CallbackInfo& info) {
  ArgReader args(info, "matmulBackwardWeight");
  Dims d = read_dims(args);
  auto dy = args.f32("dy"), x = args.f32("x");
  bool with_bias = args.boolean_or("withBias", false);
  args.expect_length(dy, "dy", d.m * d.n, dims_text("m", "n"));
  args.expect_length(x, "x", d.m * d.k, dims_text("m", "k"));
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  auto dw = Napi::Float32Array::New(env, d.n * d.k);  // accumulated into: starts at zero
  result.Set("dWeight", dw);
  float* db_data = nullptr;
  if (with_bias) {
    auto db = Napi::Float32Array::New(env, d.n);
    result.Set("dBias", db);
    db_data = db.Data();
  }
  float* dw_data = dw.Data();
  return AsyncOp::run(env, "r1.matmulBackwardWeight", args.object(), result, [=] {
    matmul_backward_weight(dw_data, db_data, dy.data, x.data, d.m, d.k, d.n);
  });
}

}  // namespace

void init_matmul(Napi::Env env, Napi::Object exports) {
  exports.Set("matmul", Napi::Function::New(env, matmul, "matmul"));
  exports.Set("matmulBackwardInput",
              Napi::Function::New(env, matmul_backward_input_js, "matmulBackwardInput"));
  exports.Set("matmulBackwardWeight",
              Napi::Function::New(env, matmul_backward_weight_js, "matmulBackwardWeight"));
}

}  // namespace r1::addon
