/**
 * SFT examples to PackedBatches and the plan of an epoch: the examples in a seeded shuffled
 * order, cut greedily into micro-batches of at most `tokenBudget` tokens, grouped
 * `gradientAccumulationSteps` micro-batches to an optimizer step (an epoch's last step may
 * have fewer). The plan of epoch e is a pure function of (seed, e, example lengths), so a
 * resumed run recomputes it and continues at the same micro-batch.
 */
import { deriveSeed, permutation } from "../../algo/sampling.js";
import type { PackedSequences } from "../../model/policy.js";
import type { SftExample } from "./tokenise.js";

/** Packed sequences with the SFT loss mask. */
export interface SftBatch extends PackedSequences {
    /** `[N]` token-aligned loss mask. */
    lossMask: Uint8Array;
    /** Tokens with mask 1. */
    lossTokens: number;
}

/** The examples at `indices`, end to end (no padding). */
export function packExamples(examples: readonly SftExample[], indices: readonly number[]): SftBatch {
    let total = 0;
    for (const i of indices) total += examples[i]!.ids.length;
    const tokens = new Int32Array(total);
    const lossMask = new Uint8Array(total);
    const cuSeqlens = new Int32Array(indices.length + 1);
    let at = 0;
    let lossTokens = 0;
    indices.forEach((i, s) => {
        const e = examples[i]!;
        tokens.set(e.ids, at);
        lossMask.set(e.mask, at);
        lossTokens += e.lossTokens;
        at += e.ids.length;
        cuSeqlens[s + 1] = at;
    });
    return { tokens, cuSeqlens, lossMask, lossTokens };
}

/**
 * Consecutive groups of `order` with at most `tokenBudget` tokens each (by `lengthOf`); a
 * sequence longer than the budget gets a group of its own.
 */
export function cutByTokens(order: readonly number[], lengthOf: (i: number) => number, tokenBudget: number): number[][] {
    const groups: number[][] = [];
    let current: number[] = [];
    let used = 0;
    for (const i of order) {
        const len = lengthOf(i);
        if (current.length > 0 && used + len > tokenBudget) {
            groups.push(current);
            current = [];
            used = 0;
        }
        current.push(i);
        used += len;
    }
    if (current.length > 0) groups.push(current);
    return groups;
}

export interface EpochPlanOptions {
    seed: number;
    tokenBudget: number;
    gradientAccumulationSteps: number;
}

/** Steps of epoch `epoch`: each a list of micro-batches, each a list of example indices. */
export function epochPlan(lengths: readonly number[], epoch: number, options: EpochPlanOptions): number[][][] {
    const order = permutation(lengths.length, deriveSeed(options.seed, epoch));
    const micro = cutByTokens(order, (i) => lengths[i]!, options.tokenBudget);
    const steps: number[][][] = [];
    for (let i = 0; i < micro.length; i += options.gradientAccumulationSteps) steps.push(micro.slice(i, i + options.gradientAccumulationSteps));
    return steps;
}
