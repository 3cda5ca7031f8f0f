/**
 * Rollout: G completions for each prompt of the step, from the policy's
 * KV-cache sampler (the Sampler of ARCHITECTURE.md; a remote OpenAI-compatible
 * sampler plugs in behind the same shape).
 */
import type { Sample } from "../../rewards/types.js";
import type { Policy } from "../../model/policy.js";

export interface PromptItem {
    /** Rendered prompt text. */
    text: string;
    /** Its token ids. */
    ids: number[];
    /** The dataset row (gold answer and any other columns rewards read). */
    sample: Sample;
    /** Stable id of the row (for history resampling). */
    id: string;
}

export interface Rollout {
    /** Index of the prompt within the step. */
    promptIndex: number;
    prompt: PromptItem;
    promptIds: number[];
    ids: number[];
    text: string;
    /** Sampling-time log-probs of the completion tokens. */
    logprobs: number[];
    finishReason: "stop" | "length";
}

export interface RolloutOptions {
    numGenerations: number;
    maxCompletionLength: number;
    temperature: number;
    topP: number;
    topK: number;
    seed: number;
}

/** G completions per prompt, prompt-major (group g = rollouts g·G … g·G+G−1). */
export async function generateRollouts(policy: Policy, prompts: readonly PromptItem[], options: RolloutOptions): Promise<Rollout[]> {
    const samples = await policy.generate(
        prompts.map((p) => p.ids),
        {
            maxNewTokens: options.maxCompletionLength,
            temperature: options.temperature,
            topP: options.topP,
            topK: options.topK,
            numSamples: options.numGenerations,
            seed: options.seed,
        },
    );
    return samples.map((s) => ({
        promptIndex: s.promptIndex,
        prompt: prompts[s.promptIndex]!,
        promptIds: s.promptIds,
        ids: s.ids,
        text: s.text,
        logprobs: s.logprobs,
        finishReason: s.finishReason,
    }));
}
