#include "cpu_features.h"

#include <cstdlib>

namespace r1 {

bool cpu_has_avx2_fma() {
  static const bool value = [] {
    const char* off = std::getenv("R1_DISABLE_AVX2");
    if (off && off[0] == '1') return false;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
  }();
  return value;
}

}  // namespace r1
