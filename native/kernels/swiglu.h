/* SwiGLU gate of the Qwen2/Llama MLP: h = silu(gate) ∘ up, silu(g) = g · σ(g).
 * Elementwise, so the (N, F) shape is only the element count N·F. σ uses a
 * vectorised exp (relative error < 2e-7), not libm. */
#pragma once

#include <cstdint>

namespace r1 {

// gate, up (N, F) -> h (N, F) overwritten. h may alias gate or up.
void swiglu_forward(float* h, const float* gate, const float* up, int64_t N, int64_t F);

// dh (N, F) -> dgate, dup (N, F) overwritten:
//   dgate = dh · up · σ(g) · (1 + g · (1 − σ(g))),   dup = dh · silu(g)
// dgate may alias gate and dup may alias up (each element is read before it is
// written); dgate and dup must not alias each other or dh.
void swiglu_backward(float* dgate, float* dup, const float* dh, const float* gate,
                     const float* up, int64_t N, int64_t F);

}  // namespace r1
