/* Run-time CPU feature detection: kernels pick AVX2/FMA code paths only when
 * the CPU has them, so one binary runs on any x86-64. R1_DISABLE_AVX2=1 forces
 * the portable path (used by tests to cover it). */
#pragma once

namespace r1 {

bool cpu_has_avx2_fma();

}  // namespace r1
