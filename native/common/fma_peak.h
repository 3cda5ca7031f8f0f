/* Measures the machine's fp32 FMA throughput (GFLOP/s) with independent
 * AVX2 FMA chains: the "100 %" that benchmarks report against. */
#pragma once

namespace r1 {

// Runs for about `seconds` on `threads` pool threads (1 = the calling thread
// only). Returns GFLOP/s summed over threads; 0 when the CPU lacks AVX2/FMA.
double measure_fma_peak_gflops(double seconds, int threads);

}  // namespace r1
