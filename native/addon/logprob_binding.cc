/* Placeholder: replaced by the logprob bindings. */
#include "bindings.h"

namespace r1::addon {
void init_logprob(Napi::Env, Napi::Object) {}
}  // namespace r1::addon
