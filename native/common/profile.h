/* Opt-in phase timing for the native model: with R1_PROFILE=1, each
 * ScopedPhase adds its wall time to a named bucket, and report_phases() prints
 * and clears the table on stderr. Off by default (one branch per scope). */
#pragma once

#include <chrono>

namespace r1 {

bool profiling_enabled();
void add_phase_time(const char* name, double seconds);
void report_phases(const char* title);

class ScopedPhase {
 public:
  explicit ScopedPhase(const char* name) : name_(profiling_enabled() ? name : nullptr) {
    if (name_) start_ = std::chrono::steady_clock::now();
  }
  ~ScopedPhase() {
    if (name_) add_phase_time(name_, std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
  }
  ScopedPhase(const ScopedPhase&) = delete;
  ScopedPhase& operator=(const ScopedPhase&) = delete;

 private:
  const char* name_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace r1
