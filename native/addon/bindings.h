/* Each binding file registers its functions on the addon's exports. */
#pragma once

#include <napi.h>

namespace r1::addon {

void init_runtime(Napi::Env env, Napi::Object exports);    // runtime_binding.cc
void init_matmul(Napi::Env env, Napi::Object exports);     // matmul_binding.cc
void init_attention(Napi::Env env, Napi::Object exports);  // attention_binding.cc
void init_logprob(Napi::Env env, Napi::Object exports);    // logprob_binding.cc
void init_grpo_loss(Napi::Env env, Napi::Object exports);  // grpo_loss_binding.cc
void init_decoder(Napi::Env env, Napi::Object exports);    // decoder_binding.cc

}  // namespace r1::addon
