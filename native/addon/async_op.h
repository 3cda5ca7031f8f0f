/* Runs a kernel call off the JS thread and settles a promise.
 *
 * The binding validates arguments and allocates the output arrays on the JS
 * thread, puts them in a `result` object, then hands a plain-data `execute`
 * closure (the baton) to a libuv worker. When it finishes, `finish` (optional)
 * adds scalar fields to `result` on the JS thread and the promise resolves with
 * it. Native failures become rejected promises, never crashes.
 */
#pragma once

#include <napi.h>

#include <exception>
#include <functional>
#include <utility>

namespace r1::addon {

class AsyncOp : public Napi::AsyncWorker {
 public:
  using Work = std::function<void()>;
  using Finish = std::function<void(Napi::Env, Napi::Object result)>;

  // Queues the work and returns its promise. `inputs` is kept alive until the
  // work is done (it owns the typed arrays the worker reads).
  static Napi::Promise run(Napi::Env env, const char* name, Napi::Object inputs,
                           Napi::Object result, Work execute, Finish finish = nullptr) {
    auto* op = new AsyncOp(env, name, inputs, result, std::move(execute), std::move(finish));
    Napi::Promise promise = op->deferred_.Promise();
    op->Queue();
    return promise;
  }

 protected:
  void Execute() override {
    try {
      execute_();
    } catch (const std::exception& e) {
      SetError(e.what());
    } catch (...) {
      SetError("unknown native error");
    }
  }
  void OnOK() override {
    Napi::Object result = result_.Value();
    if (finish_) finish_(Env(), result);
    deferred_.Resolve(result);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  AsyncOp(Napi::Env env, const char* name, Napi::Object inputs, Napi::Object result,
          Work execute, Finish finish)
      : Napi::AsyncWorker(env, name),
        deferred_(Napi::Promise::Deferred::New(env)),
        inputs_(Napi::Persistent(inputs)),
        result_(Napi::Persistent(result)),
        execute_(std::move(execute)),
        finish_(std::move(finish)) {}

  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference inputs_;
  Napi::ObjectReference result_;
  Work execute_;
  Finish finish_;
};

}  // namespace r1::addon
