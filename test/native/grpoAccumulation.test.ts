/**
 * Gradient accumulation in the GRPO step: cutting a step's rollouts into
 * micro-batches by token budget gives the same gradient as one batch, for
 * every loss normalisation.
 */
import { describe, expect, it } from "vitest";
import { Policy } from "../../src/model/policy.js";
import { resolveModelPath } from "../../src/train/grpo/runGrpo.js";
import { optimizeOnRollouts, type OptimizeSettings } from "../../src/train/grpo/optimize.js";
import { microBatchesByTokens } from "../../src/train/grpo/pack.js";
import type { Rollout } from "../../src/train/grpo/rollout.js";
import { expectClose, seededRandom } from "../helpers/numeric.js";

const modelDir = resolveModelPath("builtin:r1-zero-demo");

async function rolloutsFrom(policy: Policy): Promise<Rollout[]> {
    const prompts = ["3+4-2", "9-5+1+7", "6+6"].map((q, i) => ({ text: q, ids: policy.encode(`User: ${q}. Assistant:`), sample: {}, id: String(i) }));
    const samples = await policy.generate(prompts.map((p) => p.ids), { maxNewTokens: 12, numSamples: 3, temperature: 1, seed: 3 });
    return samples.map((s) => ({ promptIndex: s.promptIndex, prompt: prompts[s.promptIndex]!, promptIds: s.promptIds, ids: s.ids, text: s.text, logprobs: s.logprobs, finishReason: s.finishReason }));
}

const base: Omit<OptimizeSettings, "lossType" | "tokenBudget"> = {
    numIterations: 1, beta: 0, epsilon: 0.2, epsilonHigh: 0.28, importanceSamplingLevel: "token", maskTruncatedCompletions: false,
    maxCompletionLength: 12, temperature: 0.9, maxGradNorm: 0, weightDecay: 0, adamBeta1: 0.9, adamBeta2: 0.999, adamEps: 1e-8,
};

describe("GRPO gradient accumulation", () => {
    for (const lossType of ["grpo", "bnpo", "dr_grpo", "dapo"] as const) {
        it(`${lossType}: micro-batches by token budget give the one-batch gradient`, async () => {
            const one = await Policy.fromPretrained(modelDir);
            const split = await Policy.fromPretrained(modelDir);
            const rollouts = await rolloutsFrom(one);
            const rand = seededRandom(11);
            const advantages = rollouts.map(() => rand() * 2 - 1);
            // About two sequences per micro-batch over nine rollouts: the split is uneven.
            const budget = 2 * Math.max(...rollouts.map((r) => r.promptIds.length + r.ids.length)) + 1;
            const sizes = microBatchesByTokens(rollouts, budget).map((b) => b.length);
            expect(sizes.length).toBeGreaterThan(2);
            expect(new Set(sizes).size).toBeGreaterThan(1);
            const a = await optimizeOnRollouts(one, null, rollouts, advantages, 0, { ...base, lossType, tokenBudget: 100_000 });
            const b = await optimizeOnRollouts(split, null, rollouts, advantages, 0, { ...base, lossType, tokenBudget: budget });
            expect(a.microBatches).toBe(1);
            expect(b.loss).toBeCloseTo(a.loss, 6);
            for (const name of one.parameterNames()) expectClose(name, split.getGradient(name), one.getGradient(name), { atol: 1e-6, rtol: 1e-4 });
        });
    }
});
