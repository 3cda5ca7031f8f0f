/**
 * Independent float64 reference of the Qwen2 / Llama / Qwen3 decoder with
 * transformers' semantics, for checking the native engine's log-probabilities
 * and parameter gradients over a packed batch.
 *
 * Conventions (the PackedBatch's): tokens (N) are sequences packed end to end,
 * cuSeqlens (S+1) their boundaries; positions restart at 0 in each sequence and
 * attention is causal within a sequence only. Outputs are token-aligned:
 *   logp[n] = log softmax(lm_head(h[n−1]) / temperature)[tokens[n]],
 * 0 at each sequence's first position (nothing predicts it).
 *
 * Gradients are an exact reverse-mode backward written by hand
 * (decoderReference/model.ts); a central finite-difference version is kept
 * beside it to cross-check.
 */
import type { ReferenceConfig, ReferenceParams } from "./decoderReference/config.js";
import { referenceParameterShapes, validateBatch, validateConfig, validateParams } from "./decoderReference/config.js";
import { decoderBackward, decoderForward, tokenLogprobs } from "./decoderReference/model.js";

export type { ReferenceConfig, ReferenceParams } from "./decoderReference/config.js";
export { randomReferenceParams, referenceParameterShapes, zeroReferenceParams } from "./decoderReference/config.js";

function checkInputs(
    config: ReferenceConfig,
    params: ReferenceParams,
    tokens: Int32Array,
    cuSeqlens: Int32Array,
    temperature: number,
): void {
    validateConfig(config);
    validateParams(config, params);
    validateBatch(config, tokens, cuSeqlens, temperature);
}

function checkWeights(weights: Float64Array, n: number): void {
    if (!(weights instanceof Float64Array) || weights.length !== n) {
        throw new Error(`weights must be a Float64Array of tokens.length (${n}) values`);
    }
}

/**
 * Full predictive distributions, row-aligned: row r (of N, each V wide) is
 * log softmax(lm_head(h[r]) / temperature), the distribution of token r + 1.
 * Rows at a sequence's last position predict past its end (unused by logp).
 */
export function referenceLogSoftmax(
    config: ReferenceConfig,
    params: ReferenceParams,
    tokens: Int32Array,
    cuSeqlens: Int32Array,
    temperature = 1,
): Float64Array {
    checkInputs(config, params, tokens, cuSeqlens, temperature);
    return decoderForward(config, params, tokens, cuSeqlens, temperature).logProbs;
}

/** Token-aligned log-probabilities and entropies of the predictive distribution (0 at first positions). */
export function referenceLogprobs(
    config: ReferenceConfig,
    params: ReferenceParams,
    tokens: Int32Array,
    cuSeqlens: Int32Array,
    temperature = 1,
): { logp: Float64Array; entropy: Float64Array } {
    checkInputs(config, params, tokens, cuSeqlens, temperature);
    const cache = decoderForward(config, params, tokens, cuSeqlens, temperature);
    return tokenLogprobs(cache, tokens, cuSeqlens, config.vocabSize);
}

/** L = Σ_n weights[n]·logp[n]. */
export function referenceLoss(
    config: ReferenceConfig,
    params: ReferenceParams,
    tokens: Int32Array,
    cuSeqlens: Int32Array,
    weights: Float64Array,
    temperature = 1,
): number {
    checkWeights(weights, tokens.length);
    const { logp } = referenceLogprobs(config, params, tokens, cuSeqlens, temperature);
    let loss = 0;
    for (let t = 0; t < logp.length; t++) loss += weights[t]! * logp[t]!;
    return loss;
}

/** Exact float64 gradient of L = Σ_n weights[n]·logp[n] for every parameter (same names and sizes). */
export function referenceGradients(
    config: ReferenceConfig,
    params: ReferenceParams,
    tokens: Int32Array,
    cuSeqlens: Int32Array,
    weights: Float64Array,
    temperature = 1,
): ReferenceParams {
    checkInputs(config, params, tokens, cuSeqlens, temperature);
    checkWeights(weights, tokens.length);
    const cache = decoderForward(config, params, tokens, cuSeqlens, temperature);
    return decoderBackward(config, params, tokens, cuSeqlens, weights, temperature, cache);
}

/**
 * The same gradient by central differences, (L(θ + h) − L(θ − h)) / 2h with
 * h = step·max(1, |θ|). Costs two forwards per element: tiny configs only.
 * `only` limits it to some tensors (others come back zero-filled).
 */
export function referenceGradientsFiniteDifference(
    config: ReferenceConfig,
    params: ReferenceParams,
    tokens: Int32Array,
    cuSeqlens: Int32Array,
    weights: Float64Array,
    temperature = 1,
    step = 1e-5,
    only?: (name: string) => boolean,
): ReferenceParams {
    checkInputs(config, params, tokens, cuSeqlens, temperature);
    checkWeights(weights, tokens.length);
    const loss = (): number => {
        const cache = decoderForward(config, params, tokens, cuSeqlens, temperature);
        const { logp } = tokenLogprobs(cache, tokens, cuSeqlens, config.vocabSize);
        let sum = 0;
        for (let t = 0; t < logp.length; t++) sum += weights[t]! * logp[t]!;
        return sum;
    };
    const grads: ReferenceParams = new Map();
    for (const name of referenceParameterShapes(config).keys()) {
        const values = params.get(name)!;
        const g = new Float64Array(values.length);
        grads.set(name, g);
        if (only !== undefined && !only(name)) continue;
        for (let i = 0; i < values.length; i++) {
            const saved = values[i]!;
            const h = step * Math.max(1, Math.abs(saved));
            values[i] = saved + h;
            const plus = loss();
            values[i] = saved - h;
            const minus = loss();
            values[i] = saved;
            g[i] = (plus - minus) / (2 * h);
        }
    }
    return grads;
}
