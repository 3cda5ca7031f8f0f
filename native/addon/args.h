/* Argument validation at the N-API boundary.
 *
 * Every binding reads one options object through an ArgReader. Each accessor
 * checks kind, length and range and throws a JS TypeError or RangeError that
 * names the operation and the field, e.g.
 *   "attention: q must be a Float32Array (got number)"
 *   "logprobs: targets[3] = 70000 is out of range [0, 512)"
 * Pass object() to AsyncOp::run so the typed arrays stay alive while a worker
 * thread reads them.
 */
#pragma once

#include <napi.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>

namespace r1::addon {

template <class T>
struct View {
  T* data = nullptr;
  int64_t length = 0;
  bool present() const { return data != nullptr || length > 0; }
};

class ArgReader {
 public:
  ArgReader(const Napi::CallbackInfo& info, const char* op);

  const char* op() const { return op_; }
  Napi::Env env() const { return env_; }
  Napi::Object object() const { return options_; }

  // Typed arrays. `optional` accepts undefined/null (returns an empty view).
  View<float> f32(const char* name, bool optional = false);
  View<int32_t> i32(const char* name, bool optional = false);
  View<uint8_t> u8(const char* name, bool optional = false);

  // Integers and numbers: missing -> fallback when given, else an error.
  int64_t integer(const char* name, int64_t min, int64_t max);
  int64_t integer_or(const char* name, int64_t fallback, int64_t min, int64_t max);
  double number(const char* name, double min, double max);
  double number_or(const char* name, double fallback, double min, double max);
  bool boolean_or(const char* name, bool fallback);
  // A string that must be one of `allowed`.
  std::string choice_or(const char* name, const char* fallback,
                        std::initializer_list<const char*> allowed);

  bool has(const char* name) const;

  // Throws RangeError "<op>: <name> has length L, expected E (<why>)".
  template <class T>
  void expect_length(const View<T>& view, const char* name, int64_t expected,
                     const std::string& why) const {
    if (view.length != expected) {
      throw range_error(std::string(name) + " has length " + std::to_string(view.length) +
                        ", expected " + std::to_string(expected) + " (" + why + ")");
    }
  }

  // Every value finite.
  void expect_finite(const View<float>& view, const char* name) const;
  // Every id in [0, limit).
  void expect_ids_in_range(const View<int32_t>& view, const char* name, int64_t limit) const;
  // cu_seqlens: length S+1, starts at 0, non-decreasing, ends at total. Returns S.
  int64_t expect_cu_seqlens(const View<int32_t>& view, const char* name, int64_t total) const;

  Napi::Error type_error(const std::string& message) const;
  Napi::Error range_error(const std::string& message) const;

 private:
  template <class T, napi_typedarray_type kind>
  View<T> typed(const char* name, const char* kind_name, bool optional);
  Napi::Value get(const char* name) const { return options_.Get(name); }

  Napi::Env env_;
  const char* op_;
  Napi::Object options_;
};

// Allocates a Float32Array of `length` elements for a kernel to overwrite:
// uninitialised (poisoned with NaN when R1_POISON_OUTPUTS=1, so tests catch
// elements a kernel never wrote). Use Float32Array::New for accumulators.
Napi::Float32Array new_output_f32(Napi::Env env, int64_t length);

}  // namespace r1::addon
