/* Runtime facts and settings: thread count, CPU features, build info. */
#include <napi.h>

#include "../common/cpu_features.h"
#include "../common/fma_peak.h"
#include "../common/thread_pool.h"
#include <memory>

#include "args.h"
#include "async_op.h"
#include "bindings.h"

namespace r1::addon {
namespace {

Napi::Value runtime_info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("numThreads", r1::num_threads());
  out.Set("avx2", r1::cpu_has_avx2_fma());
  out.Set("backend", "cpu");
  return out;
}

Napi::Value set_num_threads_js(const Napi::CallbackInfo& info) {
  ArgReader args(info, "setNumThreads");
  r1::set_num_threads(static_cast<int>(args.integer("numThreads", 1, 256)));
  return info.Env().Undefined();
}

// { seconds?, threads? } -> Promise<number> GFLOP/s (benchmarks only).
Napi::Value fma_peak_js(const Napi::CallbackInfo& info) {
  ArgReader args(info, "fmaPeak");
  double seconds = args.number_or("seconds", 0.5, 0.01, 60);
  int threads = static_cast<int>(args.integer_or("threads", 1, 1, 256));
  Napi::Object result = Napi::Object::New(info.Env());
  auto gflops = std::make_shared<double>(0);
  return AsyncOp::run(
      info.Env(), "r1.fmaPeak", args.object(), result,
      [=] { *gflops = r1::measure_fma_peak_gflops(seconds, threads); },
      [=](Napi::Env env, Napi::Object out) { out.Set("gflops", Napi::Number::New(env, *gflops)); });
}

}  // namespace

void init_runtime(Napi::Env env, Napi::Object exports) {
  exports.Set("runtimeInfo", Napi::Function::New(env, runtime_info, "runtimeInfo"));
  exports.Set("fmaPeak", Napi::Function::New(env, fma_peak_js, "fmaPeak"));
  exports.Set("setNumThreads", Napi::Function::New(env, set_num_threads_js, "setNumThreads"));
}

}  // namespace r1::addon
