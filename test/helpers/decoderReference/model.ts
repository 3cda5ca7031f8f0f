/**
 * The decoder itself in float64: a forward that keeps every activation the
 * backward needs, the LM-head log-softmax, and a hand-written reverse-mode
 * backward of L = Σ_n weights[n]·logp[n]. Follows transformers' modeling code:
 *   h = embed(tokens)
 *   per layer:  a = rmsnorm(h);  q, k, v = a·Wᵀ (+b);  [qkNorm: q, k = rmsnorm per head];
 *               q, k = rope(q, k);  h += o_proj(attn(q, k, v))
 *               m = rmsnorm(h);  h += down(silu(gate(m)) · up(m))
 *   z = rmsnorm(h)·W_headᵀ / temperature
 */
import type { ReferenceConfig, ReferenceParams } from "./config.js";
import { zeroReferenceParams } from "./config.js";
import {
    addInto,
    attentionBackward,
    attentionForward,
    linearBackward,
    linearForward,
    ropeApply,
    ropeTables,
    rmsnormBackward,
    rmsnormForward,
    swigluBackward,
    swigluForward,
} from "./ops.js";
import type { AttentionCache, AttentionDims, RmsNormCache } from "./ops.js";

interface LayerCache {
    /** residual stream entering the layer (N, D) */
    x: Float64Array;
    norm1: RmsNormCache;
    /** input_layernorm output (N, D) */
    n1: Float64Array;
    /** q_proj output (N, H·Dh), k/v_proj outputs (N, Hkv·Dh), biases included */
    qProj: Float64Array;
    kProj: Float64Array;
    v: Float64Array;
    qNorm?: RmsNormCache;
    kNorm?: RmsNormCache;
    /** q and k after the optional per-head norm, before RoPE */
    qPre: Float64Array;
    kPre: Float64Array;
    /** after RoPE */
    qRot: Float64Array;
    kRot: Float64Array;
    attn: AttentionCache;
    /** attention output before o_proj (N, H·Dh) */
    o: Float64Array;
    /** residual after attention (N, D) */
    mid: Float64Array;
    norm2: RmsNormCache;
    n2: Float64Array;
    /** gate_proj / up_proj outputs and silu(gate)·up (N, F) */
    gate: Float64Array;
    up: Float64Array;
    act: Float64Array;
}

export interface ForwardCache {
    n: number;
    layers: LayerCache[];
    /** residual stream before the final norm (N, D) */
    last: Float64Array;
    finalNorm: RmsNormCache;
    /** final-norm output, the LM head's input (N, D) */
    hidden: Float64Array;
    /** log-softmax of logits/temperature per row (N, V): row r predicts token r + 1 */
    logProbs: Float64Array;
    cos: Float64Array;
    sin: Float64Array;
}

function param(params: ReferenceParams, name: string): Float64Array {
    const values = params.get(name);
    if (values === undefined) throw new Error(`params: missing tensor "${name}"`);
    return values;
}

export function headWeightName(config: ReferenceConfig): string {
    return config.tieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight";
}

function attentionDims(config: ReferenceConfig, cuSeqlens: Int32Array): AttentionDims {
    return { cuSeqlens, numHeads: config.numHeads, numKvHeads: config.numKvHeads, headDim: config.headDim };
}

export function decoderForward(
    config: ReferenceConfig,
    params: ReferenceParams,
    tokens: Int32Array,
    cuSeqlens: Int32Array,
    temperature: number,
): ForwardCache {
    const { hiddenSize: d, intermediateSize: f, numHeads: nh, numKvHeads: nkv, headDim: dh, vocabSize: vocab } = config;
    const eps = config.rmsNormEps;
    const n = tokens.length;
    const qDim = nh * dh;
    const kvDim = nkv * dh;
    const dims = attentionDims(config, cuSeqlens);
    const { cos, sin } = ropeTables(cuSeqlens, dh, config.ropeTheta, config.ropeScalingFactor);

    const embed = param(params, "model.embed_tokens.weight");
    let h: Float64Array = new Float64Array(n * d);
    for (let t = 0; t < n; t++) h.set(embed.subarray(tokens[t]! * d, (tokens[t]! + 1) * d), t * d);

    const layers: LayerCache[] = [];
    for (let i = 0; i < config.numLayers; i++) {
        const p = `model.layers.${i}.`;
        const x = h;
        const { y: n1, cache: norm1 } = rmsnormForward(x, param(params, `${p}input_layernorm.weight`), n, d, eps);
        const bias = (name: string): Float64Array | undefined =>
            config.attentionBias ? param(params, `${p}self_attn.${name}.bias`) : undefined;
        const qProj = linearForward(n1, param(params, `${p}self_attn.q_proj.weight`), bias("q_proj"), n, d, qDim);
        const kProj = linearForward(n1, param(params, `${p}self_attn.k_proj.weight`), bias("k_proj"), n, d, kvDim);
        const v = linearForward(n1, param(params, `${p}self_attn.v_proj.weight`), bias("v_proj"), n, d, kvDim);
        let qPre = qProj;
        let kPre = kProj;
        let qNorm: RmsNormCache | undefined;
        let kNorm: RmsNormCache | undefined;
        if (config.qkNorm) {
            const qn = rmsnormForward(qProj, param(params, `${p}self_attn.q_norm.weight`), n * nh, dh, eps);
            const kn = rmsnormForward(kProj, param(params, `${p}self_attn.k_norm.weight`), n * nkv, dh, eps);
            qPre = qn.y;
            kPre = kn.y;
            qNorm = qn.cache;
            kNorm = kn.cache;
        }
        const qRot = ropeApply(qPre, cos, sin, n, nh, dh);
        const kRot = ropeApply(kPre, cos, sin, n, nkv, dh);
        const { o, cache: attn } = attentionForward(qRot, kRot, v, dims);
        const mid = linearForward(o, param(params, `${p}self_attn.o_proj.weight`), undefined, n, qDim, d);
        addInto(mid, x);
        const { y: n2, cache: norm2 } = rmsnormForward(mid, param(params, `${p}post_attention_layernorm.weight`), n, d, eps);
        const gate = linearForward(n2, param(params, `${p}mlp.gate_proj.weight`), undefined, n, d, f);
        const up = linearForward(n2, param(params, `${p}mlp.up_proj.weight`), undefined, n, d, f);
        const act = swigluForward(gate, up);
        h = linearForward(act, param(params, `${p}mlp.down_proj.weight`), undefined, n, f, d);
        addInto(h, mid);
        layers.push({
            x, norm1, n1, qProj, kProj, v, qNorm, kNorm, qPre, kPre, qRot, kRot, attn, o, mid, norm2, n2, gate, up, act,
        });
    }

    const { y: hidden, cache: finalNorm } = rmsnormForward(h, param(params, "model.norm.weight"), n, d, eps);
    const logProbs = linearForward(hidden, param(params, headWeightName(config)), undefined, n, d, vocab);
    for (let r = 0; r < n; r++) {
        const row = logProbs.subarray(r * vocab, (r + 1) * vocab);
        let max = -Infinity;
        for (let j = 0; j < vocab; j++) {
            row[j] = row[j]! / temperature;
            max = Math.max(max, row[j]!);
        }
        let sum = 0;
        for (let j = 0; j < vocab; j++) sum += Math.exp(row[j]! - max);
        const lse = max + Math.log(sum);
        for (let j = 0; j < vocab; j++) row[j] = row[j]! - lse;
    }
    return { n, layers, last: h, finalNorm, hidden, logProbs, cos, sin };
}

/** True at the first position of each sequence (no prediction lands there). */
export function firstPositions(cuSeqlens: Int32Array, n: number): Uint8Array {
    const first = new Uint8Array(n);
    for (let s = 0; s + 1 < cuSeqlens.length; s++) first[cuSeqlens[s]!] = 1;
    return first;
}

/** Token-aligned logp[n] and entropy[n] read from the row predicting token n (row n − 1). */
export function tokenLogprobs(
    cache: ForwardCache,
    tokens: Int32Array,
    cuSeqlens: Int32Array,
    vocab: number,
): { logp: Float64Array; entropy: Float64Array } {
    const first = firstPositions(cuSeqlens, cache.n);
    const logp = new Float64Array(cache.n);
    const entropy = new Float64Array(cache.n);
    for (let t = 0; t < cache.n; t++) {
        if (first[t] === 1) continue;
        const row = cache.logProbs.subarray((t - 1) * vocab, t * vocab);
        logp[t] = row[tokens[t]!]!;
        let ent = 0;
        for (let j = 0; j < vocab; j++) ent -= Math.exp(row[j]!) * row[j]!;
        entropy[t] = ent;
    }
    return { logp, entropy };
}

/** Exact gradients of L = Σ_n weights[n]·logp[n] for every parameter (first positions carry no term). */
export function decoderBackward(
    config: ReferenceConfig,
    params: ReferenceParams,
    tokens: Int32Array,
    cuSeqlens: Int32Array,
    weights: Float64Array,
    temperature: number,
    cache: ForwardCache,
): ReferenceParams {
    const { hiddenSize: d, intermediateSize: f, numHeads: nh, numKvHeads: nkv, headDim: dh, vocabSize: vocab } = config;
    const n = cache.n;
    const qDim = nh * dh;
    const kvDim = nkv * dh;
    const dims = attentionDims(config, cuSeqlens);
    const grads = zeroReferenceParams(config);
    const grad = (name: string): Float64Array => param(grads, name);

    // LM head: dL/dz_r = w[r+1]·(onehot(tokens[r+1]) − p_r); z = hidden·Wᵀ/T, so dy = dz/T.
    const first = firstPositions(cuSeqlens, n);
    const dLogits = new Float64Array(n * vocab);
    for (let t = 0; t < n; t++) {
        const w = weights[t]!;
        if (first[t] === 1 || w === 0) continue;
        const r = t - 1;
        for (let j = 0; j < vocab; j++) dLogits[r * vocab + j] = (-w * Math.exp(cache.logProbs[r * vocab + j]!)) / temperature;
        dLogits[r * vocab + tokens[t]!]! += w / temperature;
    }
    const headName = headWeightName(config);
    const dHidden = linearBackward(dLogits, cache.hidden, param(params, headName), grad(headName), undefined, n, d, vocab);
    let dh1 = rmsnormBackward(
        dHidden, cache.last, param(params, "model.norm.weight"), cache.finalNorm, grad("model.norm.weight"), n, d,
    );

    for (let i = config.numLayers - 1; i >= 0; i--) {
        const p = `model.layers.${i}.`;
        const L = cache.layers[i]!;
        // Bias-free projection y = x·Wᵀ: accumulates dW, returns dx.
        const linear = (name: string, dy: Float64Array, x: Float64Array, inDim: number, outDim: number): Float64Array =>
            linearBackward(dy, x, param(params, `${p}${name}.weight`), grad(`${p}${name}.weight`), undefined, n, inDim, outDim);
        // MLP branch: h = mid + down(act).
        const dMid = dh1;
        const dAct = linear("mlp.down_proj", dh1, L.act, f, d);
        const { dGate, dUp } = swigluBackward(dAct, L.gate, L.up);
        const dn2 = linear("mlp.gate_proj", dGate, L.n2, d, f);
        addInto(dn2, linear("mlp.up_proj", dUp, L.n2, d, f));
        const normName2 = `${p}post_attention_layernorm.weight`;
        addInto(dMid, rmsnormBackward(dn2, L.mid, param(params, normName2), L.norm2, grad(normName2), n, d));

        // Attention branch: mid = x + o_proj(attn).
        const dx = dMid;
        const dO = linear("self_attn.o_proj", dMid, L.o, qDim, d);
        const { dq: dqRot, dk: dkRot, dv } = attentionBackward(dO, L.qRot, L.kRot, L.v, L.attn, dims);
        let dq = ropeApply(dqRot, cache.cos, cache.sin, n, nh, dh, true);
        let dk = ropeApply(dkRot, cache.cos, cache.sin, n, nkv, dh, true);
        if (config.qkNorm) {
            const qn = `${p}self_attn.q_norm.weight`;
            const kn = `${p}self_attn.k_norm.weight`;
            dq = rmsnormBackward(dq, L.qProj, param(params, qn), L.qNorm!, grad(qn), n * nh, dh);
            dk = rmsnormBackward(dk, L.kProj, param(params, kn), L.kNorm!, grad(kn), n * nkv, dh);
        }
        const proj = (name: string, dy: Float64Array, outDim: number): Float64Array =>
            linearBackward(
                dy,
                L.n1,
                param(params, `${p}self_attn.${name}.weight`),
                grad(`${p}self_attn.${name}.weight`),
                config.attentionBias ? grad(`${p}self_attn.${name}.bias`) : undefined,
                n,
                d,
                outDim,
            );
        const dn1 = proj("q_proj", dq, qDim);
        addInto(dn1, proj("k_proj", dk, kvDim));
        addInto(dn1, proj("v_proj", dv, kvDim));
        const normName1 = `${p}input_layernorm.weight`;
        addInto(dx, rmsnormBackward(dn1, L.x, param(params, normName1), L.norm1, grad(normName1), n, d));
        dh1 = dx;
    }

    // Embedding gather: scatter-add rows (adds to the head's gradient when tied).
    const dEmbed = grad("model.embed_tokens.weight");
    for (let t = 0; t < n; t++) {
        const row = tokens[t]! * d;
        for (let j = 0; j < d; j++) dEmbed[row + j]! += dh1[t * d + j]!;
    }
    return grads;
}
