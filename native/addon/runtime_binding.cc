/* Runtime facts and settings: thread count, CPU features, build info. */
#include <napi.h>

#include "../common/cpu_features.h"
#include "../common/thread_pool.h"
#include "args.h"
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

}  // namespace

void init_runtime(Napi::Env env, Napi::Object exports) {
  exports.Set("runtimeInfo", Napi::Function::New(env, runtime_info, "runtimeInfo"));
  exports.Set("setNumThreads", Napi::Function::New(env, set_num_threads_js, "setNumThreads"));
}

}  // namespace r1::addon
