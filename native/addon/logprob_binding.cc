/* JS bindings for the fused log-prob kernel: logprobs, logprobsBackward.
 *
 * Shapes come from the arrays: N = targets.length, D = hidden.length / N,
 * V = weight.length / D; each must divide exactly. */
#include <napi.h>

#include <cmath>
#include <string>

#include "../kernels/logprob.h"
#include "args.h"
#include "async_op.h"
#include "bindings.h"

namespace r1::addon {
namespace {

constexpr int64_t kMaxChunk = int64_t(1) << 31;
constexpr int64_t kDefaultChunk = 4096;

struct Inputs {
  View<float> hidden, weight;
  View<int32_t> targets;
  LogprobShape shape;
};

// Reads hidden, weight, targets, temperature and vocabChunk; derives N, D, V.
Inputs read_inputs(ArgReader& args) {
  Inputs in;
  in.hidden = args.f32("hidden");
  in.weight = args.f32("weight");
  in.targets = args.i32("targets");
  double temperature = args.number_or("temperature", 1.0, -1e308, 1e308);
  // Checked as the fp32 the kernel uses, so 1e-50 (0 in fp32) is refused too.
  const float temperature_f = static_cast<float>(temperature);
  if (!(temperature_f > 0) || !std::isfinite(temperature_f) ||
      !std::isfinite(1.0f / temperature_f)) {
    throw args.range_error("temperature must be > 0 and representable in fp32 (got " +
                           std::to_string(temperature) + ")");
  }
  int64_t chunk = args.integer_or("vocabChunk", kDefaultChunk, 1, kMaxChunk);
  const int64_t N = in.targets.length;
  int64_t D = 0, V = 0;
  if (N == 0) {
    args.expect_length(in.hidden, "hidden", 0, "N × D with N = targets.length = 0");
  } else {
    if (in.hidden.length == 0 || in.hidden.length % N != 0) {
      throw args.range_error("hidden has length " + std::to_string(in.hidden.length) +
                             ", which is not N × D for N = targets.length = " +
                             std::to_string(N) + " and a whole D >= 1");
    }
    D = in.hidden.length / N;
    if (in.weight.length == 0 || in.weight.length % D != 0) {
      throw args.range_error("weight has length " + std::to_string(in.weight.length) +
                             ", which is not V × D for D = hidden.length / N = " +
                             std::to_string(D) + " and a whole V >= 1");
    }
    V = in.weight.length / D;
    args.expect_ids_in_range(in.targets, "targets", V);
  }
  in.shape = LogprobShape{N, D, V, temperature_f, chunk};
  return in;
}

// { hidden (N,D), weight (V,D), targets (N), temperature?, withEntropy?, vocabChunk? }
//   -> { logp (N), lse (N), entropy? (N) }
Napi::Value logprobs(const Napi::CallbackInfo& info) {
  ArgReader args(info, "logprobs");
  Inputs in = read_inputs(args);
  bool with_entropy = args.boolean_or("withEntropy", false);
  Napi::Env env = info.Env();
  const int64_t N = in.shape.num_tokens;
  Napi::Object result = Napi::Object::New(env);
  auto logp = new_output_f32(env, N), lse = new_output_f32(env, N);
  result.Set("logp", logp);
  result.Set("lse", lse);
  float* entropy_data = nullptr;
  if (with_entropy) {
    auto entropy = new_output_f32(env, N);
    result.Set("entropy", entropy);
    entropy_data = entropy.Data();
  }
  float *logp_data = logp.Data(), *lse_data = lse.Data();
  return AsyncOp::run(env, "r1.logprobs", args.object(), result, [=] {
    logprob_forward(logp_data, lse_data, entropy_data, in.hidden.data, in.weight.data,
                    in.targets.data, in.shape);
  });
}

// { hidden, weight, targets, lse (N), dLogp (N), temperature?, vocabChunk? }
//   -> { dHidden (N,D), dWeight (V,D) }
Napi::Value logprobs_backward(const Napi::CallbackInfo& info) {
  ArgReader args(info, "logprobsBackward");
  Inputs in = read_inputs(args);
  auto lse = args.f32("lse"), dlogp = args.f32("dLogp");
  const int64_t N = in.shape.num_tokens;
  args.expect_length(lse, "lse", N, "N = targets.length");
  args.expect_length(dlogp, "dLogp", N, "N = targets.length");
  args.expect_finite(lse, "lse");
  args.expect_finite(dlogp, "dLogp");
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  auto dhidden = new_output_f32(env, in.hidden.length);
  auto dweight = Napi::Float32Array::New(env, in.weight.length);  // accumulated into: starts at 0
  result.Set("dHidden", dhidden);
  result.Set("dWeight", dweight);
  float *dh = dhidden.Data(), *dw = dweight.Data();
  return AsyncOp::run(env, "r1.logprobsBackward", args.object(), result, [=] {
    logprob_backward(dh, dw, dlogp.data, in.hidden.data, in.weight.data, in.targets.data,
                     lse.data, in.shape);
  });
}

}  // namespace

void init_logprob(Napi::Env env, Napi::Object exports) {
  exports.Set("logprobs", Napi::Function::New(env, logprobs, "logprobs"));
  exports.Set("logprobsBackward",
              Napi::Function::New(env, logprobs_backward, "logprobsBackward"));
}

}  // namespace r1::addon
