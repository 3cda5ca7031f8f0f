/* Placeholder: replaced by the grpo_loss bindings. */
#include "bindings.h"

namespace r1::addon {
void init_grpo_loss(Napi::Env, Napi::Object) {}
}  // namespace r1::addon
