/* Placeholder: replaced by the attention bindings. */
#include "bindings.h"

namespace r1::addon {
void init_attention(Napi::Env, Napi::Object) {}
}  // namespace r1::addon
