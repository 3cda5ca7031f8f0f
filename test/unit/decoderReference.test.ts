/**
 * Self-test of the float64 decoder reference: distributions are normalised,
 * packing and causality hold, a zero-layer model matches a closed form, the
 * RoPE / GQA conventions are transformers', and the hand-written backward
 * matches central finite differences on every parameter element.
 */
import { describe, expect, it } from "vitest";
import {
    randomReferenceParams,
    referenceGradients,
    referenceGradientsFiniteDifference,
    referenceLogprobs,
    referenceLogSoftmax,
    referenceParameterShapes,
    type ReferenceConfig,
    type ReferenceParams,
} from "../helpers/decoderReference.js";
import { attentionForward, ropeApply, ropeTables } from "../helpers/decoderReference/ops.js";
import { expectClose, randomInts, seededRandom } from "../helpers/numeric.js";

const BASE: ReferenceConfig = {
    vocabSize: 13,
    hiddenSize: 16,
    intermediateSize: 12,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 4,
    rmsNormEps: 1e-6,
    ropeTheta: 10000,
    ropeScalingFactor: 1,
    tieWordEmbeddings: false,
    attentionBias: true,
    qkNorm: false,
};

/** Qwen2-like (GQA, biases, untied), Llama-like (MHA, tied), Qwen3-like (q/k norm, Dh = D/H and Dh ≠ D/H). */
const CONFIGS: Record<string, ReferenceConfig> = {
    qwen2Gqa: BASE,
    llamaMhaTied: { ...BASE, numKvHeads: 4, attentionBias: false, tieWordEmbeddings: true, ropeTheta: 500000 },
    qwen3TiedScaled: { ...BASE, attentionBias: false, qkNorm: true, tieWordEmbeddings: true, ropeScalingFactor: 2 },
    qwen3WideHeadBias: { ...BASE, headDim: 8, numKvHeads: 1, qkNorm: true, rmsNormEps: 1e-5, ropeTheta: 100 },
};

const EXACT = { atol: 1e-12, rtol: 1e-12 };

function batch(rand: () => number, config: ReferenceConfig, lengths: number[]): { tokens: Int32Array; cuSeqlens: Int32Array } {
    const cuSeqlens = new Int32Array(lengths.length + 1);
    lengths.forEach((len, s) => (cuSeqlens[s + 1] = cuSeqlens[s]! + len));
    return { tokens: randomInts(rand, cuSeqlens[lengths.length]!, config.vocabSize), cuSeqlens };
}

function logSumExp(row: ArrayLike<number>): number {
    let max = -Infinity;
    for (let j = 0; j < row.length; j++) max = Math.max(max, row[j]!);
    let sum = 0;
    for (let j = 0; j < row.length; j++) sum += Math.exp(row[j]! - max);
    return max + Math.log(sum);
}

describe("decoderReference parameter layout", () => {
    it("lists Hugging Face names in order, with biases, q/k norms and the head only when configured", () => {
        const shapes = referenceParameterShapes({ ...BASE, numLayers: 1, qkNorm: true });
        expect([...shapes.entries()]).toEqual([
            ["model.embed_tokens.weight", [13, 16]],
            ["model.layers.0.input_layernorm.weight", [16]],
            ["model.layers.0.self_attn.q_proj.weight", [16, 16]],
            ["model.layers.0.self_attn.q_proj.bias", [16]],
            ["model.layers.0.self_attn.k_proj.weight", [8, 16]],
            ["model.layers.0.self_attn.k_proj.bias", [8]],
            ["model.layers.0.self_attn.v_proj.weight", [8, 16]],
            ["model.layers.0.self_attn.v_proj.bias", [8]],
            ["model.layers.0.self_attn.o_proj.weight", [16, 16]],
            ["model.layers.0.self_attn.q_norm.weight", [4]],
            ["model.layers.0.self_attn.k_norm.weight", [4]],
            ["model.layers.0.post_attention_layernorm.weight", [16]],
            ["model.layers.0.mlp.gate_proj.weight", [12, 16]],
            ["model.layers.0.mlp.up_proj.weight", [12, 16]],
            ["model.layers.0.mlp.down_proj.weight", [16, 12]],
            ["model.norm.weight", [16]],
            ["lm_head.weight", [13, 16]],
        ]);
        const tied = referenceParameterShapes({ ...BASE, numLayers: 1, attentionBias: false, tieWordEmbeddings: true });
        expect([...tied.keys()].some((k) => k.endsWith(".bias") || k === "lm_head.weight" || k.includes("q_norm"))).toBe(false);
    });

    it("rejects bad configs, params and batches naming the field", () => {
        const rand = seededRandom(1);
        const params = randomReferenceParams(BASE, rand);
        const { tokens, cuSeqlens } = batch(rand, BASE, [3, 2]);
        expect(() => referenceParameterShapes({ ...BASE, numKvHeads: 3 })).toThrow(/numHeads/);
        expect(() => referenceParameterShapes({ ...BASE, headDim: 5 })).toThrow(/headDim/);
        expect(() => referenceParameterShapes({ ...BASE, vocabSize: 0 })).toThrow(/vocabSize/);
        const missing = new Map(params);
        missing.delete("model.layers.1.mlp.up_proj.weight");
        expect(() => referenceLogprobs(BASE, missing, tokens, cuSeqlens)).toThrow(/up_proj/);
        expect(() => referenceLogprobs(BASE, params, Int32Array.of(0, 13, 1, 2, 3), cuSeqlens)).toThrow(/tokens\[1\]/);
        expect(() => referenceLogprobs(BASE, params, tokens, Int32Array.of(0, 3, 4))).toThrow(/cuSeqlens/);
        expect(() => referenceLogprobs(BASE, params, tokens, Int32Array.of(0, 3, 3, 5))).toThrow(/increasing/);
        expect(() => referenceLogprobs(BASE, params, tokens, cuSeqlens, 0)).toThrow(/temperature/);
        expect(() => referenceGradients(BASE, params, tokens, cuSeqlens, new Float64Array(4))).toThrow(/weights/);
    });
});

describe("decoderReference conventions", () => {
    it("RoPE rotates pairs (i, i + Dh/2) by (pos / factor)·theta^(−2i/Dh)", () => {
        // One sequence of 3 positions, one head, Dh = 4: pos 2 row is e_0, e_1, e_2, e_3 in turn.
        const headDim = 4;
        for (const factor of [1, 2]) {
            const { cos, sin } = ropeTables(Int32Array.of(0, 3), headDim, 10000, factor);
            const angle = [2 / factor, (2 / factor) * 0.01];
            for (let e = 0; e < headDim; e++) {
                const x = new Float64Array(3 * headDim);
                x[2 * headDim + e] = 1;
                const y = ropeApply(x, cos, sin, 3, 1, headDim).subarray(2 * headDim);
                // rotate_half: y_i = x_i c − x_{i+2} s,  y_{i+2} = x_{i+2} c + x_i s  (pair i = e mod 2)
                const i = e % 2;
                const c = Math.cos(angle[i]!);
                const s = Math.sin(angle[i]!);
                const want = new Float64Array(headDim);
                want[i] = e < 2 ? c : -s;
                want[i + 2] = e < 2 ? s : c;
                expectClose(`rope e${e} factor ${factor}`, y, want, EXACT);
            }
        }
    });

    it("RoPE positions restart at 0 in each packed sequence", () => {
        const { cos, sin } = ropeTables(Int32Array.of(0, 3, 5), 4, 10000, 1);
        // Token 3 opens the second sequence: position 0, identity rotation; token 4 is position 1.
        expectClose("cos at t=3", cos.subarray(6, 8), [1, 1], EXACT);
        expectClose("sin at t=3", sin.subarray(6, 8), [0, 0], EXACT);
        expectClose("sin at t=4", sin.subarray(8, 10), [Math.sin(1), Math.sin(0.01)], EXACT);
    });

    it("GQA query head h reads KV head floor(h / (H / Hkv))", () => {
        // One token: each head's output is its KV head's value vector.
        const q = new Float64Array(4 * 2).fill(0.5);
        const k = new Float64Array(2 * 2).fill(1);
        const v = Float64Array.of(1, 1, 2, 2);
        const { o } = attentionForward(q, k, v, { cuSeqlens: Int32Array.of(0, 1), numHeads: 4, numKvHeads: 2, headDim: 2 });
        expectClose("gqa heads", o, [1, 1, 1, 1, 2, 2, 2, 2], EXACT);
    });
});

describe.each(Object.entries(CONFIGS))("decoderReference %s", (_label, config) => {
    const rand = seededRandom(0x5eed + config.headDim * 31 + (config.qkNorm ? 7 : 0) + (config.tieWordEmbeddings ? 3 : 0));
    const params = randomReferenceParams(config, rand, 0.4);
    const { tokens, cuSeqlens } = batch(rand, config, [5, 1, 4]);
    const n = tokens.length;
    const V = config.vocabSize;

    it("rows are normalised log-distributions and logp/entropy read the row before", () => {
        const temperature = 0.7;
        const rows = referenceLogSoftmax(config, params, tokens, cuSeqlens, temperature);
        const rowsT1 = referenceLogSoftmax(config, params, tokens, cuSeqlens, 1);
        const { logp, entropy } = referenceLogprobs(config, params, tokens, cuSeqlens, temperature);
        const firsts = new Set(Array.from(cuSeqlens.subarray(0, -1)));
        for (let r = 0; r < n; r++) {
            const row = rows.subarray(r * V, (r + 1) * V);
            expect(Math.abs(logSumExp(row))).toBeLessThan(1e-12);
            // Temperature divides the logits: log softmax(z/T) from the T = 1 log-probabilities.
            const scaled = Array.from(rowsT1.subarray(r * V, (r + 1) * V), (x) => x / temperature);
            const lse = logSumExp(scaled);
            expectClose(`row ${r} temperature`, row, scaled.map((x) => x - lse), EXACT);
        }
        let distinct = 0;
        for (let t = 0; t < n; t++) {
            if (firsts.has(t)) {
                expect(logp[t]).toBe(0);
                expect(entropy[t]).toBe(0);
                continue;
            }
            const row = rows.subarray((t - 1) * V, t * V);
            expect(logp[t]).toBeCloseTo(row[tokens[t]!]!, 14);
            const ent = -row.reduce((acc, x) => acc + Math.exp(x) * x, 0);
            expect(entropy[t]).toBeCloseTo(ent, 12);
            expect(entropy[t]!).toBeGreaterThan(0);
            expect(entropy[t]!).toBeLessThan(Math.log(V));
            if (Math.abs(logp[t]! + Math.log(V)) > 1e-3) distinct++;
        }
        expect(distinct).toBeGreaterThan(0); // not a uniform (degenerate) model
    });

    it("packing: logp and gradients of packed sequences equal each sequence alone", () => {
        const weights = Float64Array.from({ length: n }, () => 2 * rand() - 1);
        const packed = referenceLogprobs(config, params, tokens, cuSeqlens);
        const packedGrad = referenceGradients(config, params, tokens, cuSeqlens, weights);
        const summed = new Map<string, Float64Array>();
        for (let s = 0; s + 1 < cuSeqlens.length; s++) {
            const a = cuSeqlens[s]!;
            const b = cuSeqlens[s + 1]!;
            const alone = referenceLogprobs(config, params, tokens.slice(a, b), Int32Array.of(0, b - a));
            expectClose(`seq ${s} logp`, packed.logp.subarray(a, b), alone.logp, EXACT);
            expectClose(`seq ${s} entropy`, packed.entropy.subarray(a, b), alone.entropy, EXACT);
            const g = referenceGradients(config, params, tokens.slice(a, b), Int32Array.of(0, b - a), weights.slice(a, b));
            for (const [name, values] of g) {
                const acc = summed.get(name) ?? new Float64Array(values.length);
                for (let i = 0; i < values.length; i++) acc[i]! += values[i]!;
                summed.set(name, acc);
            }
        }
        for (const [name, values] of packedGrad) expectClose(`packed grad ${name}`, values, summed.get(name)!, { atol: 1e-12, rtol: 1e-9 });
    });

    it("causality: changing token k leaves logp before k unchanged and changes later ones", () => {
        const base = referenceLogprobs(config, params, tokens, cuSeqlens).logp;
        const k = 3; // inside the first sequence (length 5)
        const changed = tokens.slice();
        changed[k] = (changed[k]! + 5) % V;
        const after = referenceLogprobs(config, params, changed, cuSeqlens).logp;
        expectClose("before k", after.subarray(0, k), base.subarray(0, k), { atol: 0, rtol: 0 });
        expect(Math.abs(after[k + 1]! - base[k + 1]!)).toBeGreaterThan(1e-9);
        // Other sequences are untouched.
        expectClose("other sequences", after.subarray(5), base.subarray(5), { atol: 0, rtol: 0 });
    });

    it("analytic gradients match central finite differences on every element", () => {
        const weights = Float64Array.from({ length: n }, () => 2 * rand() - 1);
        weights[2] = 0;
        const temperature = 0.8;
        const exact = referenceGradients(config, params, tokens, cuSeqlens, weights, temperature);
        const fd = referenceGradientsFiniteDifference(config, params, tokens, cuSeqlens, weights, temperature);
        expect([...exact.keys()]).toEqual([...referenceParameterShapes(config).keys()]);
        let maxAbs = 0;
        for (const [name, want] of fd) {
            expectClose(`grad ${name}`, exact.get(name)!, want, { atol: 1e-8, rtol: 1e-6 });
            for (const x of want) maxAbs = Math.max(maxAbs, Math.abs(x));
        }
        expect(maxAbs).toBeGreaterThan(1e-3); // the check is not comparing zeros
    });
});

describe("decoderReference closed form", () => {
    it("with zero layer projections and a tied head, logp = log softmax(rmsnorm(E[x])·w·Eᵀ / T)", () => {
        const config: ReferenceConfig = { ...BASE, tieWordEmbeddings: true, qkNorm: true };
        const rand = seededRandom(99);
        const params: ReferenceParams = randomReferenceParams(config, rand, 0.5);
        for (const [name, values] of params) {
            if (name.startsWith("model.layers.") && !name.endsWith("norm.weight")) values.fill(0);
        }
        const { tokens, cuSeqlens } = batch(rand, config, [4, 3]);
        const temperature = 1.3;
        const { logp, entropy } = referenceLogprobs(config, params, tokens, cuSeqlens, temperature);
        const E = params.get("model.embed_tokens.weight")!;
        const w = params.get("model.norm.weight")!;
        const D = config.hiddenSize;
        const V = config.vocabSize;
        for (let t = 0; t < tokens.length; t++) {
            if (t === 0 || t === 4) {
                expect(logp[t]).toBe(0);
                continue;
            }
            const x = E.subarray(tokens[t - 1]! * D, (tokens[t - 1]! + 1) * D);
            const rms = Math.sqrt(x.reduce((a, b) => a + b * b, 0) / D + config.rmsNormEps);
            const z = Array.from({ length: V }, (_, j) => {
                let dot = 0;
                for (let i = 0; i < D; i++) dot += (x[i]! / rms) * w[i]! * E[j * D + i]!;
                return dot / temperature;
            });
            const lse = logSumExp(z);
            expect(logp[t]).toBeCloseTo(z[tokens[t]!]! - lse, 12);
            expect(entropy[t]).toBeCloseTo(-z.reduce((a, zj) => a + Math.exp(zj - lse) * (zj - lse), 0), 12);
        }
    });
});
