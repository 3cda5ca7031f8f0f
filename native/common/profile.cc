#include "profile.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

namespace r1 {
namespace {
std::mutex mutex;
std::map<std::string, double>& table() {
  static std::map<std::string, double> t;
  return t;
}
}  // namespace

bool profiling_enabled() {
  static const bool on = [] {
    const char* env = std::getenv("R1_PROFILE");
    return env && env[0] == '1';
  }();
  return on;
}

void add_phase_time(const char* name, double seconds) {
  std::lock_guard<std::mutex> lock(mutex);
  table()[name] += seconds;
}

void report_phases(const char* title) {
  if (!profiling_enabled()) return;
  std::lock_guard<std::mutex> lock(mutex);
  std::fprintf(stderr, "[r1 profile] %s\n", title);
  for (const auto& [name, s] : table()) std::fprintf(stderr, "  %-28s %9.1f ms\n", name.c_str(), s * 1e3);
  table().clear();
}

}  // namespace r1
