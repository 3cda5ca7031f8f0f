/* JS class NativeDecoder (and NativeGenerationSession): the policy model.
 * Every method validates its options object; long ones run off the JS thread
 * and hold the model's mutex, so concurrent calls queue instead of racing. */
#include <napi.h>

#include <memory>
#include <mutex>
#include <string>

#include "../model/decoder.h"
#include "../model/generation.h"
#include "args.h"
#include "async_op.h"
#include "bindings.h"

namespace r1::addon {
namespace {

struct SharedModel {
  explicit SharedModel(const DecoderConfig& c) : model(c) {}
  Decoder model;
  std::mutex mutex;
};

DecoderConfig read_config(ArgReader& a) {
  DecoderConfig c;
  c.vocab_size = a.integer("vocabSize", 1, int64_t(1) << 31);
  c.hidden_size = a.integer("hiddenSize", 1, 1 << 16);
  c.intermediate_size = a.integer("intermediateSize", 1, 1 << 18);
  c.num_layers = static_cast<int>(a.integer("numLayers", 1, 1024));
  c.num_heads = static_cast<int>(a.integer("numHeads", 1, 1024));
  c.num_kv_heads = static_cast<int>(a.integer("numKvHeads", 1, 1024));
  c.head_dim = static_cast<int>(a.integer("headDim", 2, 256));
  c.rms_norm_eps = static_cast<float>(a.number("rmsNormEps", 1e-12, 1));
  c.rope_theta = a.number("ropeTheta", 1e-6, 1e12);
  c.rope_scaling_factor = a.number_or("ropeScalingFactor", 1.0, 1e-6, 1e6);
  c.tie_word_embeddings = a.boolean_or("tieWordEmbeddings", false);
  c.attention_bias = a.boolean_or("attentionBias", false);
  c.attention_output_bias = a.boolean_or("attentionOutputBias", false);
  c.qk_norm = a.boolean_or("qkNorm", false);
  if (c.num_heads % c.num_kv_heads != 0)
    throw a.range_error("numKvHeads = " + std::to_string(c.num_kv_heads) + " must divide numHeads = " +
                        std::to_string(c.num_heads));
  if (c.head_dim % 2 != 0) throw a.range_error("headDim must be even (RoPE rotates pairs)");
  return c;
}

struct BatchArgs {
  View<int32_t> tokens, cu;
  int64_t num_seqs = 0;
  PackedBatchView view() const { return {tokens.length, num_seqs, tokens.data, cu.data}; }
};

BatchArgs read_batch(ArgReader& a, int64_t vocab) {
  BatchArgs b;
  b.tokens = a.i32("tokens");
  b.cu = a.i32("cuSeqlens");
  b.num_seqs = a.expect_cu_seqlens(b.cu, "cuSeqlens", b.tokens.length);
  a.expect_ids_in_range(b.tokens, "tokens", vocab);
  return b;
}

const ParamSpec& find_param(ArgReader& a, const Decoder& m, const std::string& name) {
  for (const ParamSpec& s : m.layout().specs)
    if (s.name == name) return s;
  throw a.range_error("no parameter named \"" + name + "\"");
}

std::string read_name(ArgReader& a) {
  Napi::Value v = a.object().Get("name");
  if (!v.IsString()) throw a.type_error("name must be a string");
  return v.As<Napi::String>().Utf8Value();
}

Napi::Float32Array copy_out(Napi::Env env, const float* data, int64_t n) {
  auto arr = Napi::Float32Array::New(env, static_cast<size_t>(n));
  std::copy(data, data + n, arr.Data());
  return arr;
}

Napi::Int32Array copy_out(Napi::Env env, const std::vector<int32_t>& v) {
  auto arr = Napi::Int32Array::New(env, v.size());
  std::copy(v.begin(), v.end(), arr.Data());
  return arr;
}

class NativeGenerationSession : public Napi::ObjectWrap<NativeGenerationSession> {
 public:
  static Napi::FunctionReference* constructor;
  static void init(Napi::Env env) {
    Napi::Function f = DefineClass(env, "NativeGenerationSession",
                                   {InstanceMethod("next", &NativeGenerationSession::next)});
    constructor = new Napi::FunctionReference(Napi::Persistent(f));
  }
  explicit NativeGenerationSession(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeGenerationSession>(info) {}

  std::shared_ptr<SharedModel> model;
  std::shared_ptr<GenerationSession> session;

  static Napi::Value result(Napi::Env env, Napi::Object out, const SampledTokens& t) {
    out.Set("seq", copy_out(env, t.seq));
    out.Set("ids", copy_out(env, t.ids));
    out.Set("logp", copy_out(env, t.logp.data(), static_cast<int64_t>(t.logp.size())));
    return out;
  }

  // { finished: Int32Array } -> Promise<{ seq, ids, logp }>
  Napi::Value next(const Napi::CallbackInfo& info) {
    ArgReader a(info, "generation.next");
    auto finished = a.i32("finished");
    std::vector<int32_t> drop(finished.data, finished.data + finished.length);
    auto tokens = std::make_shared<SampledTokens>();
    auto m = model;
    auto s = session;
    return AsyncOp::run(
        info.Env(), "r1.generation.next", a.object(), Napi::Object::New(info.Env()),
        [=] {
          std::lock_guard<std::mutex> lock(m->mutex);
          *tokens = s->next(drop);
        },
        [=](Napi::Env env, Napi::Object out) { result(env, out, *tokens); });
  }
};
Napi::FunctionReference* NativeGenerationSession::constructor = nullptr;

class NativeDecoder : public Napi::ObjectWrap<NativeDecoder> {
 public:
  static Napi::FunctionReference* constructor;
  static void init(Napi::Env env, Napi::Object exports) {
    Napi::Function f = DefineClass(
        env, "NativeDecoder",
        {InstanceMethod("parameterSpecs", &NativeDecoder::parameter_specs),
         InstanceMethod("setParameter", &NativeDecoder::set_parameter),
         InstanceMethod("getParameter", &NativeDecoder::get_parameter),
         InstanceMethod("getGradient", &NativeDecoder::get_gradient),
         InstanceMethod("logprobs", &NativeDecoder::logprobs),
         InstanceMethod("forwardBackward", &NativeDecoder::forward_backward),
         InstanceMethod("zeroGrad", &NativeDecoder::zero_grad),
         InstanceMethod("optimizerStep", &NativeDecoder::optimizer_step),
         InstanceMethod("frozenCopy", &NativeDecoder::frozen_copy),
         InstanceMethod("getOptimizerState", &NativeDecoder::get_optimizer_state),
         InstanceMethod("setOptimizerState", &NativeDecoder::set_optimizer_state),
         InstanceMethod("startGeneration", &NativeDecoder::start_generation)});
    constructor = new Napi::FunctionReference(Napi::Persistent(f));
    exports.Set("NativeDecoder", f);
  }

  explicit NativeDecoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeDecoder>(info) {
    ArgReader a(info, "NativeDecoder");
    if (a.has("__copyOf")) return;  // filled by frozenCopy
    DecoderConfig c = read_config(a);
    try {
      model_ = std::make_shared<SharedModel>(c);
    } catch (const std::exception& e) {
      throw a.range_error(e.what());
    }
  }

 private:
  Decoder& m() { return model_->model; }

  Napi::Value parameter_specs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const auto& specs = m().layout().specs;
    Napi::Array out = Napi::Array::New(env, specs.size());
    for (size_t i = 0; i < specs.size(); ++i) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("name", specs[i].name);
      Napi::Array shape = Napi::Array::New(env, specs[i].shape.size());
      for (size_t d = 0; d < specs[i].shape.size(); ++d) shape.Set(d, Napi::Number::New(env, double(specs[i].shape[d])));
      o.Set("shape", shape);
      out.Set(i, o);
    }
    return out;
  }

  // { name, data: Float32Array }
  Napi::Value set_parameter(const Napi::CallbackInfo& info) {
    ArgReader a(info, "setParameter");
    const ParamSpec& spec = find_param(a, m(), read_name(a));
    auto data = a.f32("data");
    a.expect_length(data, "data", spec.numel, spec.name);
    a.expect_finite(data, "data");
    std::lock_guard<std::mutex> lock(model_->mutex);
    std::copy(data.data, data.data + data.length, m().params() + spec.offset);
    return info.Env().Undefined();
  }

  Napi::Value get_parameter(const Napi::CallbackInfo& info) {
    ArgReader a(info, "getParameter");
    const ParamSpec& spec = find_param(a, m(), read_name(a));
    std::lock_guard<std::mutex> lock(model_->mutex);
    return copy_out(info.Env(), m().params() + spec.offset, spec.numel);
  }

  Napi::Value get_gradient(const Napi::CallbackInfo& info) {
    ArgReader a(info, "getGradient");
    const ParamSpec& spec = find_param(a, m(), read_name(a));
    std::lock_guard<std::mutex> lock(model_->mutex);
    if (!m().grads() || m().layout().total == 0) return Napi::Float32Array::New(info.Env(), spec.numel);
    return copy_out(info.Env(), m().grads() + spec.offset, spec.numel);
  }

  // { tokens, cuSeqlens, temperature?, withEntropy? } -> Promise<{ logp, entropy? }>
  Napi::Value logprobs(const Napi::CallbackInfo& info) {
    ArgReader a(info, "logprobs");
    BatchArgs b = read_batch(a, m().config().vocab_size);
    float temperature = static_cast<float>(a.number_or("temperature", 1.0, 1e-6, 1e6));
    bool with_entropy = a.boolean_or("withEntropy", false);
    Napi::Env env = info.Env();
    Napi::Object result = Napi::Object::New(env);
    auto logp = new_output_f32(env, b.tokens.length);
    result.Set("logp", logp);
    float* entropy = nullptr;
    if (with_entropy) {
      auto e = new_output_f32(env, b.tokens.length);
      result.Set("entropy", e);
      entropy = e.Data();
    }
    float* lp = logp.Data();
    auto model = model_;
    return AsyncOp::run(env, "r1.decoder.logprobs", a.object(), result, [=] {
      std::lock_guard<std::mutex> lock(model->mutex);
      model->model.logprobs(lp, entropy, b.view(), temperature, nullptr);
    });
  }

  Napi::Value forward_backward(const Napi::CallbackInfo& info) {
    ArgReader a(info, "forwardBackward");
    BatchArgs b = read_batch(a, m().config().vocab_size);
    const int64_t N = b.tokens.length;
    TrainLoss loss;
    std::string kind = a.choice_or("kind", "sft", {"sft", "grpo"});
    auto mask = a.u8("lossMask");
    a.expect_length(mask, "lossMask", N, "one per token");
    loss.loss_mask = mask.data;
    loss.temperature = static_cast<float>(a.number_or("temperature", 1.0, 1e-6, 1e6));
    loss.loss_scale = a.number_or("lossScale", 1.0, 1e-12, 1e12);
    if (kind == "grpo") {
      loss.kind = TrainLossKind::grpo;
      auto adv = a.f32("advantages"), old = a.f32("oldLogp", true), ref = a.f32("refLogp", true);
      a.expect_length(adv, "advantages", N, "one per token");
      a.expect_finite(adv, "advantages");
      if (old.present()) a.expect_length(old, "oldLogp", N, "one per token");
      if (ref.present()) a.expect_length(ref, "refLogp", N, "one per token");
      loss.advantages = adv.data;
      loss.old_logp = old.data;
      loss.ref_logp = ref.data;
      GrpoLossOptions& o = loss.grpo;
      o.eps_low = static_cast<float>(a.number("epsLow", 0, 1));
      o.eps_high = static_cast<float>(a.number("epsHigh", 0, 100));
      o.beta = static_cast<float>(a.number("beta", 0, 1e6));
      std::string type = a.choice_or("lossType", "grpo", {"grpo", "bnpo", "dr_grpo", "dapo"});
      o.loss_type = type == "grpo" ? GrpoLossType::grpo
                    : type == "bnpo" ? GrpoLossType::bnpo
                    : type == "dr_grpo" ? GrpoLossType::dr_grpo
                                        : GrpoLossType::dapo;
      o.max_completion_length = a.integer_or("maxCompletionLength", 0, 0, int64_t(1) << 40);
      o.num_items_in_batch = a.number_or("numItemsInBatch", 0, 0, 1e15);
      o.level = a.choice_or("importanceSamplingLevel", "token", {"token", "sequence"}) == "sequence"
                    ? ImportanceSamplingLevel::sequence
                    : ImportanceSamplingLevel::token;
      if (o.beta > 0 && !ref.present()) throw a.type_error("refLogp is required when beta > 0");
      if (o.loss_type == GrpoLossType::dr_grpo && o.max_completion_length < 1)
        throw a.range_error("maxCompletionLength (>= 1) is required by lossType \"dr_grpo\"");
      if (o.loss_type == GrpoLossType::dapo && !(o.num_items_in_batch > 0))
        throw a.range_error("numItemsInBatch (> 0) is required by lossType \"dapo\"");
    } else {
      loss.sft_denominator = a.number_or("sftDenominator", 0, 0, 1e15);
    }
    Napi::Env env = info.Env();
    Napi::Object result = Napi::Object::New(env);
    auto logp = new_output_f32(env, N);
    result.Set("logp", logp);
    float* lp = logp.Data();
    auto metrics = std::make_shared<TrainMetrics>();
    auto model = model_;
    return AsyncOp::run(
        env, "r1.decoder.forwardBackward", a.object(), result,
        [=] {
          std::lock_guard<std::mutex> lock(model->mutex);
          *metrics = model->model.forward_backward(b.view(), loss, lp);
        },
        [=](Napi::Env env, Napi::Object out) {
          out.Set("loss", metrics->loss);
          out.Set("activeTokens", Napi::Number::New(env, double(metrics->active_tokens)));
          out.Set("meanEntropy", metrics->mean_entropy);
          Napi::Object g = Napi::Object::New(env);
          g.Set("clipLowFraction", metrics->grpo.clip_low_fraction);
          g.Set("clipHighFraction", metrics->grpo.clip_high_fraction);
          g.Set("meanKl", metrics->grpo.mean_kl);
          g.Set("meanRatio", metrics->grpo.mean_ratio);
          out.Set("grpo", g);
        });
  }

  Napi::Value zero_grad(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> lock(model_->mutex);
    m().zero_grad();
    return info.Env().Undefined();
  }

  // { lr, beta1?, beta2?, eps?, weightDecay?, maxGradNorm? } -> Promise<{ gradNorm, clipScale, step }>
  Napi::Value optimizer_step(const Napi::CallbackInfo& info) {
    ArgReader a(info, "optimizerStep");
    AdamWConfig adam;
    adam.lr = a.number("lr", 0, 10);
    adam.beta1 = a.number_or("beta1", 0.9, 0, 0.999999);
    adam.beta2 = a.number_or("beta2", 0.999, 0, 0.99999999);
    adam.eps = a.number_or("eps", 1e-8, 0, 1);
    adam.weight_decay = a.number_or("weightDecay", 0.0, 0, 10);
    double max_norm = a.number_or("maxGradNorm", 0.0, 0, 1e12);
    auto step = std::make_shared<OptimizerStepResult>();
    auto model = model_;
    return AsyncOp::run(
        info.Env(), "r1.decoder.optimizerStep", a.object(), Napi::Object::New(info.Env()),
        [=] {
          std::lock_guard<std::mutex> lock(model->mutex);
          *step = model->model.optimizer_step(adam, max_norm);
        },
        [=](Napi::Env env, Napi::Object out) {
          out.Set("gradNorm", step->grad_norm);
          out.Set("clipScale", step->clip_scale);
          out.Set("step", Napi::Number::New(env, double(model->model.optimizer_steps())));
        });
  }

  // -> { m, v, step } (m and v empty before the first step)
  Napi::Value get_optimizer_state(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::lock_guard<std::mutex> lock(model_->mutex);
    Napi::Object out = Napi::Object::New(env);
    out.Set("m", copy_out(env, m().adam_m().data(), static_cast<int64_t>(m().adam_m().size())));
    out.Set("v", copy_out(env, m().adam_v().data(), static_cast<int64_t>(m().adam_v().size())));
    out.Set("step", Napi::Number::New(env, double(m().optimizer_steps())));
    return out;
  }

  // { m, v, step }
  Napi::Value set_optimizer_state(const Napi::CallbackInfo& info) {
    ArgReader a(info, "setOptimizerState");
    auto mv = a.f32("m"), vv = a.f32("v");
    int64_t step = a.integer("step", 0, int64_t(1) << 40);
    if (mv.length != 0 || vv.length != 0) {
      a.expect_length(mv, "m", m().layout().total, "one per parameter");
      a.expect_length(vv, "v", m().layout().total, "one per parameter");
    }
    std::lock_guard<std::mutex> lock(model_->mutex);
    m().set_optimizer_state(std::vector<float>(mv.data, mv.data + mv.length),
                            std::vector<float>(vv.data, vv.data + vv.length), step);
    return info.Env().Undefined();
  }

  Napi::Value frozen_copy(const Napi::CallbackInfo& info) {
    Napi::Object opts = Napi::Object::New(info.Env());
    opts.Set("__copyOf", true);
    Napi::Object copy = constructor->New({opts});
    std::lock_guard<std::mutex> lock(model_->mutex);
    auto shared = std::make_shared<SharedModel>(m().config());
    std::copy(m().params(), m().params() + m().layout().total, shared->model.params());
    NativeDecoder::Unwrap(copy)->model_ = shared;
    return copy;
  }

  // { tokens, cuSeqlens, capacity, seed, temperature, topK, topP } -> Promise<{ session, seq, ids, logp }>
  Napi::Value start_generation(const Napi::CallbackInfo& info) {
    ArgReader a(info, "startGeneration");
    BatchArgs b = read_batch(a, m().config().vocab_size);
    int64_t capacity = a.integer("capacity", 2, int64_t(1) << 24);
    uint64_t seed = static_cast<uint64_t>(a.integer_or("seed", 0, 0, (int64_t(1) << 53)));
    SamplingParams sp;
    sp.temperature = static_cast<float>(a.number_or("temperature", 1.0, 0, 1e6));
    sp.top_k = a.integer_or("topK", 0, 0, int64_t(1) << 31);
    sp.top_p = static_cast<float>(a.number_or("topP", 1.0, 1e-9, 1));
    for (int64_t s = 0; s < b.num_seqs; ++s) {
      int64_t len = b.cu.data[s + 1] - b.cu.data[s];
      if (len < 1) throw a.range_error("prompt " + std::to_string(s) + " is empty");
      if (len >= capacity)
        throw a.range_error("prompt " + std::to_string(s) + " has " + std::to_string(len) +
                            " tokens, which leaves no room in capacity " + std::to_string(capacity));
    }
    Napi::Env env = info.Env();
    Napi::Object session_obj = NativeGenerationSession::constructor->New({});
    auto* wrap = NativeGenerationSession::Unwrap(session_obj);
    wrap->model = model_;
    wrap->session = std::make_shared<GenerationSession>(m(), b.num_seqs, capacity, seed, sp);
    Napi::Object result = Napi::Object::New(env);
    result.Set("session", session_obj);
    auto tokens = std::make_shared<SampledTokens>();
    auto model = model_;
    auto session = wrap->session;
    return AsyncOp::run(
        env, "r1.decoder.startGeneration", a.object(), result,
        [=] {
          std::lock_guard<std::mutex> lock(model->mutex);
          *tokens = session->start(b.view());
        },
        [=](Napi::Env env, Napi::Object out) { NativeGenerationSession::result(env, out, *tokens); });
  }

  std::shared_ptr<SharedModel> model_;
};
Napi::FunctionReference* NativeDecoder::constructor = nullptr;

}  // namespace

void init_decoder(Napi::Env env, Napi::Object exports) {
  NativeGenerationSession::init(env);
  NativeDecoder::init(env, exports);
}

}  // namespace r1::addon
