/**
 * The arithmetic of one SFT step. With micro-batches b = 1..M of an optimizer step and T the
 * completion tokens of all of them,
 *
 *   loss = −(1/T) Σ_b Σ_n mask_b[n] · log p(tokens_b[n] | earlier tokens)
 *
 * Each micro-batch's forward/backward is told denominator = T, so the gradients summed by
 * accumulation are exactly the gradient of this loss: one micro-batch of 4 sequences and 4
 * micro-batches of 1 give the same step (TRL's num_items_in_batch normalisation). The held-out
 * loss uses the same token-weighted mean over the whole evaluation set.
 */
import type { Policy } from "../../model/policy.js";
import { cutByTokens, packExamples, type SftBatch } from "./pack.js";
import type { SftExample } from "./tokenise.js";

export interface AccumulateResult {
    /** Token-weighted mean NLL of the step's completion tokens. */
    loss: number;
    /** T: completion tokens in the loss. */
    lossTokens: number;
    /** All tokens run through forward and backward. */
    tokens: number;
    sequences: number;
}

/** Forward and backward of every micro-batch with the shared denominator; gradients accumulate (call zeroGrad first). */
export async function accumulateGradients(policy: Policy, microBatches: readonly SftBatch[]): Promise<AccumulateResult> {
    const lossTokens = microBatches.reduce((a, b) => a + b.lossTokens, 0);
    const result: AccumulateResult = { loss: 0, lossTokens, tokens: 0, sequences: 0 };
    if (lossTokens === 0) return result;
    for (const batch of microBatches) {
        if (batch.lossTokens === 0) continue;
        const out = await policy.forwardBackward(
            { tokens: batch.tokens, cuSeqlens: batch.cuSeqlens },
            { kind: "sft", lossMask: batch.lossMask, denominator: lossTokens },
        );
        result.loss += out.loss;
        result.tokens += batch.tokens.length;
        result.sequences += batch.cuSeqlens.length - 1;
    }
    return result;
}

/** Token-weighted mean NLL over `examples` (no gradients), in micro-batches of `tokenBudget` tokens. */
export async function evaluateLoss(policy: Policy, examples: readonly SftExample[], tokenBudget: number): Promise<{ loss: number; lossTokens: number }> {
    const order = examples.map((_, i) => i);
    let nll = 0;
    let lossTokens = 0;
    for (const group of cutByTokens(order, (i) => examples[i]!.ids.length, tokenBudget)) {
        const batch = packExamples(examples, group);
        const { logp } = await policy.logprobs({ tokens: batch.tokens, cuSeqlens: batch.cuSeqlens });
        for (let n = 0; n < logp.length; n++) if (batch.lossMask[n] === 1) nll -= logp[n]!;
        lossTokens += batch.lossTokens;
    }
    return { loss: lossTokens > 0 ? nll / lossTokens : Number.NaN, lossTokens };
}
