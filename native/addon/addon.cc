/* Addon entry point: registration only. */
#include <napi.h>

#include "bindings.h"

namespace {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  r1::addon::init_runtime(env, exports);
  r1::addon::init_matmul(env, exports);
  r1::addon::init_attention(env, exports);
  r1::addon::init_logprob(env, exports);
  r1::addon::init_grpo_loss(env, exports);
  r1::addon::init_decoder(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(r1_native, init)
