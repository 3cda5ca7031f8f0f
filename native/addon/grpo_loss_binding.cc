/* JS binding for the GRPO loss: grpoLoss (forward and analytic backward in
 * one call). */
#include <napi.h>

#include <limits>
#include <memory>
#include <string>

#include "../kernels/grpo_loss.h"
#include "args.h"
#include "async_op.h"
#include "bindings.h"

namespace r1::addon {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int64_t kMaxLength = int64_t(1) << 31;

GrpoLossType read_loss_type(ArgReader& args) {
  if (!args.has("lossType")) {
    throw args.type_error(
        "lossType is required (one of \"grpo\", \"bnpo\", \"dr_grpo\", \"dapo\")");
  }
  std::string t = args.choice_or("lossType", "grpo", {"grpo", "bnpo", "dr_grpo", "dapo"});
  if (t == "bnpo") return GrpoLossType::bnpo;
  if (t == "dr_grpo") return GrpoLossType::dr_grpo;
  if (t == "dapo") return GrpoLossType::dapo;
  return GrpoLossType::grpo;
}

GrpoLossOptions read_options(ArgReader& args) {
  GrpoLossOptions o;
  o.eps_low = static_cast<float>(args.number("epsLow", 0, kInf));
  o.eps_high = static_cast<float>(args.number("epsHigh", 0, kInf));
  o.beta = static_cast<float>(args.number("beta", 0, kInf));
  o.loss_type = read_loss_type(args);
  if (o.loss_type == GrpoLossType::dr_grpo && !args.has("maxCompletionLength")) {
    throw args.type_error("maxCompletionLength is required when lossType is \"dr_grpo\"");
  }
  o.max_completion_length = args.integer_or("maxCompletionLength", 0, 1, kMaxLength);
  if (o.loss_type == GrpoLossType::dapo && !args.has("numItemsInBatch")) {
    throw args.type_error("numItemsInBatch is required when lossType is \"dapo\"");
  }
  if (args.has("numItemsInBatch")) {
    o.num_items_in_batch = args.number("numItemsInBatch", 0, kInf);
    if (!(o.num_items_in_batch > 0)) throw args.range_error("numItemsInBatch must be > 0");
  }
  std::string level = args.choice_or("importanceSamplingLevel", "token", {"token", "sequence"});
  o.level = level == "sequence" ? ImportanceSamplingLevel::sequence
                                : ImportanceSamplingLevel::token;
  return o;
}

// { logp, oldLogp?, refLogp?, advantages, lossMask (N), cuSeqlens (S+1), epsLow, epsHigh,
//   beta, lossType, maxCompletionLength?, numItemsInBatch?, importanceSamplingLevel? }
//   -> { loss, dLogp (N), perTokenLoss (N), metrics }
Napi::Value grpo_loss(const Napi::CallbackInfo& info) {
  ArgReader args(info, "grpoLoss");
  auto logp = args.f32("logp");
  auto old_logp = args.f32("oldLogp", true), ref_logp = args.f32("refLogp", true);
  auto adv = args.f32("advantages");
  auto mask = args.u8("lossMask");
  auto cu = args.i32("cuSeqlens");
  GrpoLossOptions options = read_options(args);
  if (options.beta > 0 && !ref_logp.present()) {
    throw args.type_error("refLogp is required when beta > 0");
  }
  const int64_t N = logp.length;
  const std::string why = "N = logp.length";
  if (args.has("oldLogp")) args.expect_length(old_logp, "oldLogp", N, why);
  if (args.has("refLogp")) args.expect_length(ref_logp, "refLogp", N, why);
  args.expect_length(adv, "advantages", N, why);
  args.expect_length(mask, "lossMask", N, why);
  const int64_t S = args.expect_cu_seqlens(cu, "cuSeqlens", N);
  args.expect_finite(logp, "logp");
  args.expect_finite(old_logp, "oldLogp");
  args.expect_finite(ref_logp, "refLogp");
  args.expect_finite(adv, "advantages");

  GrpoLossInputs in{N,
                    S,
                    cu.data,
                    logp.data,
                    args.has("oldLogp") ? old_logp.data : nullptr,
                    args.has("refLogp") ? ref_logp.data : nullptr,
                    adv.data,
                    mask.data};
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  auto dlogp = new_output_f32(env, N), per_token = new_output_f32(env, N);
  result.Set("dLogp", dlogp);
  result.Set("perTokenLoss", per_token);
  float *dlogp_data = dlogp.Data(), *per_token_data = per_token.Data();
  auto metrics = std::make_shared<GrpoLossMetrics>();
  return AsyncOp::run(
      env, "r1.grpoLoss", args.object(), result,
      [=] {
        *metrics = grpo_loss_forward(per_token_data, in, options);
        grpo_loss_backward(dlogp_data, in, options);
      },
      [metrics](Napi::Env env, Napi::Object result) {
        result.Set("loss", metrics->loss);
        Napi::Object m = Napi::Object::New(env);
        m.Set("clipLowFraction", metrics->clip_low_fraction);
        m.Set("clipHighFraction", metrics->clip_high_fraction);
        m.Set("meanKl", metrics->mean_kl);
        m.Set("meanRatio", metrics->mean_ratio);
        m.Set("activeTokens", static_cast<double>(metrics->active_tokens));
        result.Set("metrics", m);
      });
}

}  // namespace

void init_grpo_loss(Napi::Env env, Napi::Object exports) {
  exports.Set("grpoLoss", Napi::Function::New(env, grpo_loss, "grpoLoss"));
}

}  // namespace r1::addon
