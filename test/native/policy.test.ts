/**
 * The native decoder behind Policy against the float64 TypeScript reference:
 * token-aligned log-probs and every parameter's gradient (SFT and GRPO
 * losses), on tiny configs with GQA, biases, tied and untied heads and Qwen3's
 * q/k norm; KV-cache generation against full recomputation; determinism.
 */
import { describe, expect, it } from "vitest";
import { kernels } from "../../src/index.js";
import { type DecoderConfig, makeDecoderConfig } from "../../src/model/config.js";
import { Policy } from "../../src/model/policy.js";
import { type ReferenceConfig, type ReferenceParams, referenceGradients, referenceLogprobs } from "../helpers/decoderReference.js";
import { expectClose, FP32, randomInts, seededRandom } from "../helpers/numeric.js";

interface Case {
    name: string;
    init: Parameters<typeof makeDecoderConfig>[0] & { qkNorm?: boolean };
}

const cases: Case[] = [
    {
        name: "qwen2: GQA 4/2, q/k/v bias, untied",
        init: { architecture: "qwen2", vocabSize: 13, hiddenSize: 16, intermediateSize: 12, numLayers: 2, numHeads: 4, numKvHeads: 2, attentionBias: true, tieWordEmbeddings: false },
    },
    {
        name: "llama: MQA 3/1, no bias, tied",
        init: { architecture: "llama", vocabSize: 11, hiddenSize: 12, intermediateSize: 20, numLayers: 2, numHeads: 3, numKvHeads: 1, attentionBias: false, tieWordEmbeddings: true, ropeTheta: 500000 },
    },
    {
        name: "qwen3: q/k norm, headDim 6 ≠ D/H, GQA 4/2",
        init: { architecture: "qwen3", vocabSize: 17, hiddenSize: 16, intermediateSize: 24, numLayers: 1, numHeads: 4, numKvHeads: 2, headDim: 6, tieWordEmbeddings: true },
    },
];

function buildConfig(c: Case): DecoderConfig {
    const config = makeDecoderConfig(c.init);
    return c.init.architecture === "qwen3" ? { ...config, qkNorm: true } : config;
}

function referenceConfig(c: DecoderConfig): ReferenceConfig {
    return {
        vocabSize: c.vocabSize,
        hiddenSize: c.hiddenSize,
        intermediateSize: c.intermediateSize,
        numLayers: c.numLayers,
        numHeads: c.numHeads,
        numKvHeads: c.numKvHeads,
        headDim: c.headDim,
        rmsNormEps: c.rmsNormEps,
        ropeTheta: c.ropeTheta,
        ropeScalingFactor: c.ropeScaling.type === "linear" ? c.ropeScaling.factor : 1,
        tieWordEmbeddings: c.tieWordEmbeddings,
        attentionBias: c.attentionBias,
        qkNorm: c.qkNorm,
    };
}

/** A policy with O(1) random weights (so every path matters), and the same weights in float64. */
function randomPolicy(c: DecoderConfig, seed: number): { policy: Policy; params: ReferenceParams } {
    const policy = Policy.fromConfig(c, { seed });
    const rand = seededRandom(seed + 1);
    const params: ReferenceParams = new Map();
    for (const name of policy.parameterNames()) {
        const data = policy.getParameter(name);
        const isNorm = name.endsWith("norm.weight");
        for (let i = 0; i < data.length; i++) data[i] = isNorm ? 0.8 + 0.4 * rand() : (rand() - 0.5) * 0.8;
        policy.setParameter(name, data);
        params.set(name, Float64Array.from(data));
    }
    return { policy, params };
}

/** Three packed sequences: lengths 5, 1 and 9. */
function packedBatch(vocab: number, seed: number) {
    const cuSeqlens = Int32Array.from([0, 5, 6, 15]);
    const tokens = randomInts(seededRandom(seed), 15, vocab);
    const lossMask = new Uint8Array(15);
    for (let n = 0; n < 15; n++) lossMask[n] = n === 0 || n === 5 || n === 6 || n === 1 ? 0 : 1;
    return { tokens, cuSeqlens, lossMask };
}

const gradTol = { atol: 2e-5, rtol: 1e-3 };

describe("Policy against the float64 decoder reference", () => {
    for (const c of cases) {
        const config = buildConfig(c);
        const ref = referenceConfig(config);

        it(`${c.name}: log-probs and entropies`, async () => {
            const { policy, params } = randomPolicy(config, 3);
            const { tokens, cuSeqlens } = packedBatch(config.vocabSize, 4);
            for (const temperature of [1, 0.7]) {
                const got = await policy.logprobs({ tokens, cuSeqlens }, { temperature, withEntropy: true });
                const want = referenceLogprobs(ref, params, tokens, cuSeqlens, temperature);
                expectClose(`logp τ=${temperature}`, got.logp, want.logp, FP32);
                expectClose(`entropy τ=${temperature}`, got.entropy!, want.entropy, FP32);
            }
        });

        it(`${c.name}: every parameter's gradient of the SFT loss`, async () => {
            const { policy, params } = randomPolicy(config, 5);
            const { tokens, cuSeqlens, lossMask } = packedBatch(config.vocabSize, 6);
            const count = lossMask.reduce((a, b) => a + b, 0);
            const result = await policy.forwardBackward({ tokens, cuSeqlens }, { kind: "sft", lossMask });
            const weights = Float64Array.from(lossMask, (m) => (m ? -1 / count : 0));
            const want = referenceLogprobs(ref, params, tokens, cuSeqlens).logp;
            let loss = 0;
            for (let n = 0; n < want.length; n++) loss += weights[n]! * want[n]!;
            expect(result.loss).toBeCloseTo(loss, 5);
            const grads = referenceGradients(ref, params, tokens, cuSeqlens, weights);
            for (const name of policy.parameterNames()) expectClose(`d ${name}`, policy.getGradient(name), grads.get(name)!, gradTol);
        });

        it(`${c.name}: every parameter's gradient of the GRPO loss (dapo, β > 0, old log-probs, τ = 0.8)`, async () => {
            const { policy, params } = randomPolicy(config, 7);
            const { tokens, cuSeqlens, lossMask } = packedBatch(config.vocabSize, 8);
            const rand = seededRandom(9);
            const temperature = 0.8;
            const current = (await policy.logprobs({ tokens, cuSeqlens }, { temperature })).logp;
            const oldLogp = current.map((x) => x + 0.3 * (rand() - 0.5));
            const refLogp = current.map((x) => x + 0.3 * (rand() - 0.5));
            const advantages = Float32Array.from({ length: tokens.length }, () => rand() * 2 - 1);
            const loss = { epsLow: 0.2, epsHigh: 0.28, beta: 0.05, lossType: "dapo" as const, numItemsInBatch: 20 };
            const result = await policy.forwardBackward(
                { tokens, cuSeqlens },
                { kind: "grpo", lossMask, advantages, oldLogp, refLogp, temperature, ...loss },
            );
            // The loss kernel (tested on its own) gives dL/dlogp; the reference chains it through the model.
            const logp = Float32Array.from(referenceLogprobs(ref, params, tokens, cuSeqlens, temperature).logp);
            const lossAtRef = await kernels.grpoLoss({ logp, oldLogp, refLogp, advantages, lossMask, cuSeqlens, ...loss });
            expect(result.loss).toBeCloseTo(lossAtRef.loss, 5);
            const grads = referenceGradients(ref, params, tokens, cuSeqlens, Float64Array.from(lossAtRef.dLogp), temperature);
            for (const name of policy.parameterNames()) expectClose(`d ${name}`, policy.getGradient(name), grads.get(name)!, gradTol);
        });
    }

    it("accumulates gradients over micro-batches until zeroGrad", async () => {
        const config = buildConfig(cases[0]!);
        const { policy } = randomPolicy(config, 11);
        const { tokens, cuSeqlens, lossMask } = packedBatch(config.vocabSize, 12);
        await policy.forwardBackward({ tokens, cuSeqlens }, { kind: "sft", lossMask });
        const once = policy.getGradient("model.norm.weight");
        await policy.forwardBackward({ tokens, cuSeqlens }, { kind: "sft", lossMask });
        expectClose("twice", policy.getGradient("model.norm.weight"), once.map((x) => 2 * x));
        policy.zeroGrad();
        expect(Array.from(policy.getGradient("model.norm.weight")).every((x) => x === 0)).toBe(true);
    });
});

describe("Policy generation", () => {
    const config = buildConfig(cases[0]!);

    it("KV-cache decoding gives the log-probs of a full recomputation", async () => {
        const { policy } = randomPolicy(config, 13);
        const prompts = [[1, 2, 3], [4], [5, 6, 7, 8, 9, 10]];
        for (const temperature of [0, 0.7]) {
            const samples = await policy.generate(prompts, { maxNewTokens: 6, temperature, numSamples: 2, seed: 1, stopTokenIds: [] });
            expect(samples).toHaveLength(6);
            const seqs = samples.map((s) => [...s.promptIds, ...s.ids]);
            const tokens = Int32Array.from(seqs.flat());
            const cuSeqlens = Int32Array.from([0, ...seqs.map(((sum) => (s: number[]) => (sum += s.length))(0))]);
            const { logp } = await policy.logprobs({ tokens, cuSeqlens }, { temperature: temperature === 0 ? 1 : temperature });
            samples.forEach((s, i) => {
                expect(s.ids).toHaveLength(6);
                expect(s.finishReason).toBe("length");
                const start = cuSeqlens[i]! + s.promptIds.length;
                expectClose(`sample ${i} logp`, s.logprobs, logp.subarray(start, start + s.ids.length), { atol: 1e-5, rtol: 1e-4 });
            });
            if (temperature === 0) {
                // Greedy: both samples of a prompt agree, and each token is the argmax of the recomputed distribution.
                expect(samples[0]!.ids).toEqual(samples[1]!.ids);
            }
        }
    });

    it("is deterministic for a seed and varies with it", async () => {
        const { policy } = randomPolicy(config, 17);
        const run = (seed: number) => policy.generate([[1, 2], [3]], { maxNewTokens: 8, temperature: 1, numSamples: 3, seed, stopTokenIds: [] });
        const a = await run(5), b = await run(5), c = await run(6);
        expect(a.map((s) => s.ids)).toEqual(b.map((s) => s.ids));
        expect(a.map((s) => s.ids)).not.toEqual(c.map((s) => s.ids));
    });

    it("stops at a stop token id and reports the finish reason", async () => {
        const { policy } = randomPolicy(config, 19);
        const greedy = await policy.generate([[1, 2, 3]], { maxNewTokens: 5, temperature: 0, stopTokenIds: [] });
        const stopAt = greedy[0]!.ids[2]!;
        const firstHit = greedy[0]!.ids.indexOf(stopAt);
        const [stopped] = await policy.generate([[1, 2, 3]], { maxNewTokens: 5, temperature: 0, stopTokenIds: [stopAt] });
        expect(stopped!.finishReason).toBe("stop");
        expect(stopped!.ids).toEqual(greedy[0]!.ids.slice(0, firstHit + 1));
    });

    it("rejects bad input with the field named", async () => {
        const { policy } = randomPolicy(config, 23);
        await expect(policy.generate([[1, 99]], { maxNewTokens: 2 })).rejects.toThrow(/tokens\[1\] = 99 is out of range/);
        await expect(policy.generate([[]], { maxNewTokens: 2 })).rejects.toThrow(/prompt 0 is empty/);
        await expect(policy.generate([[1]], { maxNewTokens: 0 })).rejects.toThrow(/maxNewTokens/);
        await expect(policy.logprobs({ tokens: Int32Array.from([1, 2]), cuSeqlens: Int32Array.from([0, 3]) })).rejects.toThrow(/cuSeqlens must end at the token count 2/);
        const lossMask = Uint8Array.from([1, 1]);
        await expect(
            policy.forwardBackward({ tokens: Int32Array.from([1, 2]), cuSeqlens: Int32Array.from([0, 2]) }, { kind: "sft", lossMask }),
        ).rejects.toThrow(/lossMask\[0\] is set at the first token/);
    });
});
