/**
 * The optimisation half of a GRPO step: old log-probs (μ > 1) and reference
 * log-probs (β > 0) per micro-batch, then μ passes of forward/backward over
 * the micro-batches with one AdamW step each.
 */
import type { GrpoLossType, ImportanceSamplingLevel } from "../../engine/AddonTypes.js";
import type { Policy } from "../../model/policy.js";
import { activeCompletionTokens, microBatchesByTokens, type PackedBatch, packRollouts } from "./pack.js";
import type { Rollout } from "./rollout.js";

export interface OptimizeSettings {
    numIterations: number;
    beta: number;
    epsilon: number;
    epsilonHigh: number;
    lossType: GrpoLossType;
    importanceSamplingLevel: ImportanceSamplingLevel;
    maskTruncatedCompletions: boolean;
    maxCompletionLength: number;
    temperature: number;
    tokenBudget: number;
    maxGradNorm: number;
    weightDecay: number;
    adamBeta1: number;
    adamBeta2: number;
    adamEps: number;
}

export interface OptimizeResult {
    loss: number;
    gradNorm: number;
    clipLowFraction: number;
    clipHighFraction: number;
    meanKl: number;
    meanRatio: number;
    meanEntropy: number;
    trainingTokens: number;
    microBatches: number;
}

/**
 * The kernel normalises each micro-batch by its own sequences (grpo, dr_grpo)
 * or active tokens (bnpo); scaling by the micro-batch's share of the step makes
 * the accumulated gradient equal the whole step's, however it was split. dapo
 * already divides by the step's active tokens.
 */
function microBatchScale(
    lossType: GrpoLossType,
    batch: PackedBatch,
    step: { sequences: number; activeTokens: number } | null,
): number {
    if (step === null || lossType === "dapo") return 1;
    if (lossType === "bnpo") {
        const active = batch.lossMask.reduce((a, b) => a + b, 0);
        return active / step.activeTokens;
    }
    return (batch.cuSeqlens.length - 1) / step.sequences;
}

export async function optimizeOnRollouts(
    policy: Policy,
    reference: Policy | null,
    rollouts: readonly Rollout[],
    advantages: readonly number[],
    lr: number,
    s: OptimizeSettings,
): Promise<OptimizeResult> {
    const pack = { maskTruncatedCompletions: s.maskTruncatedCompletions };
    const batches: PackedBatch[] = microBatchesByTokens(rollouts, s.tokenBudget).map((idx) => packRollouts(rollouts, idx, advantages, pack));
    const numItemsInBatch = Math.max(activeCompletionTokens(rollouts, pack), 1);
    const temperature = s.temperature > 0 ? s.temperature : 1;
    // Log-probs under the sampling policy, fixed across the μ passes (ratio 1 on the first).
    const oldLogp = s.numIterations > 1 ? await Promise.all(batches.map(async (b) => (await policy.logprobs(b, { temperature })).logp)) : null;
    const refLogp = s.beta > 0 && reference ? await Promise.all(batches.map(async (b) => (await reference.logprobs(b, { temperature })).logp)) : null;

    const result: OptimizeResult = {
        loss: 0, gradNorm: 0, clipLowFraction: 0, clipHighFraction: 0, meanKl: 0, meanRatio: 0, meanEntropy: 0,
        trainingTokens: 0, microBatches: batches.length,
    };
    let weightSum = 0;
    for (let iteration = 0; iteration < s.numIterations; iteration++) {
        policy.zeroGrad();
        for (const [i, batch] of batches.entries()) {
            const out = await policy.native.forwardBackward({
                tokens: batch.tokens,
                cuSeqlens: batch.cuSeqlens,
                kind: "grpo",
                lossMask: batch.lossMask,
                advantages: batch.advantages,
                oldLogp: oldLogp?.[i],
                refLogp: refLogp?.[i],
                temperature,
                epsLow: s.epsilon,
                epsHigh: s.epsilonHigh,
                beta: s.beta,
                lossType: s.lossType,
                maxCompletionLength: s.maxCompletionLength,
                numItemsInBatch,
                importanceSamplingLevel: s.importanceSamplingLevel,
                lossScale: microBatchScale(s.lossType, batch, batches.length === 1 ? null : { sequences: rollouts.length, activeTokens: numItemsInBatch }),
            });
            const w = out.activeTokens;
            result.loss += out.loss / s.numIterations;
            result.clipLowFraction += w * out.grpo.clipLowFraction;
            result.clipHighFraction += w * out.grpo.clipHighFraction;
            result.meanKl += w * out.grpo.meanKl;
            result.meanRatio += w * out.grpo.meanRatio;
            result.meanEntropy += w * out.meanEntropy;
            result.trainingTokens += batch.tokens.length;
            weightSum += w;
        }
        const step = await policy.optimizerStep({
            lr, maxGradNorm: s.maxGradNorm, weightDecay: s.weightDecay, beta1: s.adamBeta1, beta2: s.adamBeta2, eps: s.adamEps,
        });
        result.gradNorm += step.gradNorm / s.numIterations;
    }
    if (weightSum > 0) {
        for (const key of ["clipLowFraction", "clipHighFraction", "meanKl", "meanRatio", "meanEntropy"] as const) result[key] /= weightSum;
    }
    return result;
}
