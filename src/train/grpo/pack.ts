/**
 * From rollouts to PackedBatches: prompt + completion of each rollout end to
 * end (no padding), a token-aligned loss mask over the completion tokens, the
 * rollout's advantage on each of them, and micro-batches cut by a token budget.
 */
import type { Rollout } from "./rollout.js";

export interface PackedBatch {
    /** `[N]` prompt + completion tokens of every sequence. */
    tokens: Int32Array;
    /** `[S + 1]` */
    cuSeqlens: Int32Array;
    /** `[N]` 1 on completion tokens that enter the loss. */
    lossMask: Uint8Array;
    /** `[N]` the rollout's advantage on its completion tokens, 0 elsewhere. */
    advantages: Float32Array;
    /** Indices (into the rollouts given) of the sequences, in order. */
    rolloutIndices: number[];
}

export interface PackOptions {
    /** Leave completions cut by the length limit out of the loss (DAPO). */
    maskTruncatedCompletions: boolean;
}

/** Packs the given rollouts into one batch. */
export function packRollouts(rollouts: readonly Rollout[], indices: readonly number[], advantages: readonly number[], options: PackOptions): PackedBatch {
    let total = 0;
    for (const i of indices) total += rollouts[i]!.promptIds.length + rollouts[i]!.ids.length;
    const tokens = new Int32Array(total);
    const lossMask = new Uint8Array(total);
    const adv = new Float32Array(total);
    const cuSeqlens = new Int32Array(indices.length + 1);
    let at = 0;
    indices.forEach((i, s) => {
        const r = rollouts[i]!;
        tokens.set(r.promptIds, at);
        tokens.set(r.ids, at + r.promptIds.length);
        const inLoss = !(options.maskTruncatedCompletions && r.finishReason === "length");
        if (inLoss) {
            for (let t = 0; t < r.ids.length; t++) {
                lossMask[at + r.promptIds.length + t] = 1;
                adv[at + r.promptIds.length + t] = advantages[i]!;
            }
        }
        at += r.promptIds.length + r.ids.length;
        cuSeqlens[s + 1] = at;
    });
    return { tokens, cuSeqlens, lossMask, advantages: adv, rolloutIndices: [...indices] };
}

/**
 * Splits rollouts (in order) into micro-batches of at most `tokenBudget` tokens;
 * a single sequence longer than the budget gets a micro-batch of its own.
 */
export function microBatchesByTokens(rollouts: readonly Rollout[], tokenBudget: number): number[][] {
    const batches: number[][] = [];
    let current: number[] = [];
    let used = 0;
    rollouts.forEach((r, i) => {
        const len = r.promptIds.length + r.ids.length;
        if (current.length > 0 && used + len > tokenBudget) {
            batches.push(current);
            current = [];
            used = 0;
        }
        current.push(i);
        used += len;
    });
    if (current.length > 0) batches.push(current);
    return batches;
}

/** Completion tokens that enter the loss over all rollouts (DAPO's num_items_in_batch). */
export function activeCompletionTokens(rollouts: readonly Rollout[], options: PackOptions): number {
    let n = 0;
    for (const r of rollouts) if (!(options.maskTruncatedCompletions && r.finishReason === "length")) n += r.ids.length;
    return n;
}
