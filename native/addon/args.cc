#include "args.h"

#include <algorithm>
#include <cstdlib>
#include <limits>

namespace r1::addon {
namespace {

const char* js_type_name(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsBoolean()) return "boolean";
  if (v.IsNumber()) return "number";
  if (v.IsString()) return "string";
  if (v.IsTypedArray()) {
    switch (v.As<Napi::TypedArray>().TypedArrayType()) {
      case napi_float32_array: return "Float32Array";
      case napi_float64_array: return "Float64Array";
      case napi_int32_array: return "Int32Array";
      case napi_uint32_array: return "Uint32Array";
      case napi_uint8_array: return "Uint8Array";
      case napi_int8_array: return "Int8Array";
      case napi_int16_array: return "Int16Array";
      case napi_uint16_array: return "Uint16Array";
      default: return "another typed array";
    }
  }
  if (v.IsArray()) return "Array";
  if (v.IsFunction()) return "function";
  return "object";
}

bool poison_outputs() {
  static const bool value = [] {
    const char* env = std::getenv("R1_POISON_OUTPUTS");
    return env && env[0] == '1';
  }();
  return value;
}

}  // namespace

ArgReader::ArgReader(const Napi::CallbackInfo& info, const char* op) : env_(info.Env()), op_(op) {
  if (info.Length() < 1 || !info[0].IsObject() || info[0].IsArray()) {
    throw type_error("expected one options object");
  }
  options_ = info[0].As<Napi::Object>();
}

Napi::Error ArgReader::type_error(const std::string& message) const {
  return Napi::TypeError::New(env_, std::string(op_) + ": " + message);
}

Napi::Error ArgReader::range_error(const std::string& message) const {
  return Napi::RangeError::New(env_, std::string(op_) + ": " + message);
}

bool ArgReader::has(const char* name) const {
  Napi::Value v = get(name);
  return !v.IsUndefined() && !v.IsNull();
}

template <class T, napi_typedarray_type kind>
View<T> ArgReader::typed(const char* name, const char* kind_name, bool optional) {
  Napi::Value v = get(name);
  if (v.IsUndefined() || v.IsNull()) {
    if (optional) return {};
    throw type_error(std::string(name) + " is required (a " + kind_name + ")");
  }
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != kind) {
    throw type_error(std::string(name) + " must be a " + kind_name + " (got " + js_type_name(v) +
                     ")");
  }
  auto arr = v.As<Napi::TypedArray>();
  if (arr.ArrayBuffer().ByteLength() == 0 && arr.ElementLength() > 0) {
    throw type_error(std::string(name) + " is backed by a detached ArrayBuffer");
  }
  View<T> view;
  view.data = reinterpret_cast<T*>(static_cast<uint8_t*>(arr.ArrayBuffer().Data()) +
                                   arr.ByteOffset());
  view.length = static_cast<int64_t>(arr.ElementLength());
  return view;
}

View<float> ArgReader::f32(const char* name, bool optional) {
  return typed<float, napi_float32_array>(name, "Float32Array", optional);
}
View<int32_t> ArgReader::i32(const char* name, bool optional) {
  return typed<int32_t, napi_int32_array>(name, "Int32Array", optional);
}
View<uint8_t> ArgReader::u8(const char* name, bool optional) {
  return typed<uint8_t, napi_uint8_array>(name, "Uint8Array", optional);
}

double ArgReader::number(const char* name, double min, double max) {
  Napi::Value v = get(name);
  if (v.IsUndefined() || v.IsNull()) throw type_error(std::string(name) + " is required (a number)");
  if (!v.IsNumber()) {
    throw type_error(std::string(name) + " must be a number (got " + js_type_name(v) + ")");
  }
  double x = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(x)) throw range_error(std::string(name) + " must be finite (got " + std::to_string(x) + ")");
  if (x < min || x > max) {
    throw range_error(std::string(name) + " = " + std::to_string(x) + " is out of range [" +
                      std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return x;
}

double ArgReader::number_or(const char* name, double fallback, double min, double max) {
  return has(name) ? number(name, min, max) : fallback;
}

int64_t ArgReader::integer(const char* name, int64_t min, int64_t max) {
  double x = number(name, static_cast<double>(min), static_cast<double>(max));
  if (x != std::floor(x)) {
    throw range_error(std::string(name) + " must be an integer (got " + std::to_string(x) + ")");
  }
  return static_cast<int64_t>(x);
}

int64_t ArgReader::integer_or(const char* name, int64_t fallback, int64_t min, int64_t max) {
  return has(name) ? integer(name, min, max) : fallback;
}

bool ArgReader::boolean_or(const char* name, bool fallback) {
  if (!has(name)) return fallback;
  Napi::Value v = get(name);
  if (!v.IsBoolean()) {
    throw type_error(std::string(name) + " must be a boolean (got " + js_type_name(v) + ")");
  }
  return v.As<Napi::Boolean>().Value();
}

std::string ArgReader::choice_or(const char* name, const char* fallback,
                                 std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string("\"") + a + "\"";
  if (!has(name)) return fallback;
  Napi::Value v = get(name);
  if (!v.IsString()) {
    throw type_error(std::string(name) + " must be one of " + list + " (got " + js_type_name(v) + ")");
  }
  std::string s = v.As<Napi::String>().Utf8Value();
  for (const char* a : allowed) {
    if (s == a) return s;
  }
  throw range_error(std::string(name) + " = \"" + s + "\" is not one of " + list);
}

void ArgReader::expect_finite(const View<float>& view, const char* name) const {
  for (int64_t i = 0; i < view.length; ++i) {
    if (!std::isfinite(view.data[i])) {
      throw range_error(std::string(name) + "[" + std::to_string(i) + "] is not finite");
    }
  }
}

void ArgReader::expect_ids_in_range(const View<int32_t>& view, const char* name,
                                    int64_t limit) const {
  for (int64_t i = 0; i < view.length; ++i) {
    int32_t id = view.data[i];
    if (id < 0 || id >= limit) {
      throw range_error(std::string(name) + "[" + std::to_string(i) + "] = " + std::to_string(id) +
                        " is out of range [0, " + std::to_string(limit) + ")");
    }
  }
}

int64_t ArgReader::expect_cu_seqlens(const View<int32_t>& view, const char* name,
                                     int64_t total) const {
  if (view.length < 2) {
    throw range_error(std::string(name) + " needs at least 2 entries (S+1 boundaries), got " +
                      std::to_string(view.length));
  }
  if (view.data[0] != 0) throw range_error(std::string(name) + "[0] must be 0");
  for (int64_t i = 1; i < view.length; ++i) {
    if (view.data[i] < view.data[i - 1]) {
      throw range_error(std::string(name) + " must be non-decreasing (" + name + "[" +
                        std::to_string(i) + "] < " + name + "[" + std::to_string(i - 1) + "])");
    }
  }
  if (view.data[view.length - 1] != total) {
    throw range_error(std::string(name) + " must end at the token count " + std::to_string(total) +
                      " (got " + std::to_string(view.data[view.length - 1]) + ")");
  }
  return view.length - 1;
}

namespace {
void free_output(Napi::Env env, void* data, size_t* bytes) {
  std::free(data);
  Napi::MemoryManagement::AdjustExternalMemory(env, -static_cast<int64_t>(*bytes));
  delete bytes;
}
}  // namespace

// Outputs live in malloc'd memory handed to V8 as external buffers: a kernel
// overwrites every element anyway, so the zero-fill (and, for a fresh block,
// the page faults) of a V8-allocated buffer would be wasted work on the JS
// thread. The GC is told about the memory so it still paces collections.
Napi::Float32Array new_output_f32(Napi::Env env, int64_t length) {
  const size_t bytes = static_cast<size_t>(std::max<int64_t>(length, 1)) * sizeof(float);
  void* data = std::malloc(bytes);
  if (!data) throw Napi::RangeError::New(env, "out of memory allocating an output of " + std::to_string(length) + " floats");
  float* p = static_cast<float*>(data);
  const float fill = poison_outputs() ? std::numeric_limits<float>::quiet_NaN() : 0.0f;
  if (poison_outputs()) std::fill(p, p + length, fill);
  Napi::MemoryManagement::AdjustExternalMemory(env, static_cast<int64_t>(bytes));
  auto buffer = Napi::ArrayBuffer::New(env, data, bytes, free_output, new size_t(bytes));
  return Napi::Float32Array::New(env, static_cast<size_t>(length), buffer, 0);
}

}  // namespace r1::addon
