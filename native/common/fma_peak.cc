#include "fma_peak.h"

#include <algorithm>
#include <atomic>
#include <chrono>

#include "cpu_features.h"
#include "thread_pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace r1 {
namespace {

#if defined(__x86_64__) || defined(__i386__)
// 12 independent FMA chains hide the 4-5 cycle latency of two FMA pipes.
// Returns the flop count done.
__attribute__((target("avx2,fma"))) double fma_loop(int64_t iterations, float* sink) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(0.001f * i);
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int64_t it = 0; it < iterations; ++it) {
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  }
  __m256 total = acc[0];
  for (int i = 1; i < 12; ++i) total = _mm256_add_ps(total, acc[i]);
  *sink = _mm256_cvtss_f32(total);
  return static_cast<double>(iterations) * 12 * 8 * 2;
}
#endif

}  // namespace

double measure_fma_peak_gflops(double seconds, int threads) {
#if defined(__x86_64__) || defined(__i386__)
  if (!cpu_has_avx2_fma()) return 0;
  int parts = threads <= 1 ? 1 : std::min(threads, num_threads());
  std::atomic<double> total{0};
  auto work = [&](int64_t, int64_t) {
    float sink = 0;
    fma_loop(1 << 16, &sink);  // warm up the core clock
    const int64_t chunk = 1 << 20;
    double flops = 0;
    auto t0 = std::chrono::steady_clock::now();
    double elapsed = 0;
    while (elapsed < seconds) {
      flops += fma_loop(chunk, &sink);
      elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    double rate = flops / elapsed / 1e9 + (sink == 12345.0f ? 1e-12 : 0);
    double cur = total.load();
    while (!total.compare_exchange_weak(cur, cur + rate)) {
    }
  };
  if (parts == 1) {
    work(0, 1);
  } else {
    parallel_for(parts, 1, work);
  }
  return total.load();
#else
  (void)seconds;
  (void)threads;
  return 0;
#endif
}

}  // namespace r1
