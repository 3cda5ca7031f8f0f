/* Two builds of one hot loop, picked at run time.
 *
 * Shipped builds have no -mavx2, so each hot loop body is written once as an
 * always-inline function and compiled twice: for AVX2/FMA (x86-64-v3) and for
 * the baseline ISA. Dispatch goes through cpu_has_avx2_fma(), so
 * R1_DISABLE_AVX2=1 really runs (and lets the tests cover) the portable build;
 * GCC target_clones would pick by CPU alone and ignore that switch.
 *
 * Usage, inside an anonymous namespace of a .cc file:
 *   R1_ALWAYS_INLINE void scale_body(const ScaleArgs& a, int64_t begin, int64_t end) { ... }
 *   R1_MULTIVERSION_RANGE(scale, ScaleArgs)   // defines scale(args, begin, end)
 */
#pragma once

#include <cstdint>

#include "../common/cpu_features.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define R1_TARGET_AVX2 __attribute__((target("avx2,fma")))
#else
#define R1_TARGET_AVX2
#endif

#define R1_ALWAYS_INLINE inline __attribute__((always_inline))

// Defines name##_avx2, name##_portable and the dispatcher name(args, begin, end)
// from name##_body(const Args&, int64_t begin, int64_t end).
#define R1_MULTIVERSION_RANGE(name, Args)                                              \
  R1_TARGET_AVX2 void name##_avx2(const Args& args, int64_t begin, int64_t end) {      \
    name##_body(args, begin, end);                                                     \
  }                                                                                    \
  void name##_portable(const Args& args, int64_t begin, int64_t end) {                 \
    name##_body(args, begin, end);                                                     \
  }                                                                                    \
  void name(const Args& args, int64_t begin, int64_t end) {                            \
    if (::r1::cpu_has_avx2_fma())                                                      \
      name##_avx2(args, begin, end);                                                   \
    else                                                                               \
      name##_portable(args, begin, end);                                               \
  }
