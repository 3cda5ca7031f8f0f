/**
 * Batched generation over the native KV-cache session: prompts in, for each a
 * completion's ids, text, per-token log-probs of the sampled tokens and the
 * finish reason. Stop token ids end a completion (and are kept in its ids, as
 * the policy must learn to emit them); stop strings cut the text and the ids
 * at the token that completed the string.
 */
import type { Policy } from "./policy.js";

export interface GenerateOptions {
    /** New tokens per completion at most. */
    maxNewTokens: number;
    /** 0 is greedy. Defaults to `1`. */
    temperature?: number;
    /** Defaults to `1` (off). */
    topP?: number;
    /** Defaults to `0` (off). */
    topK?: number;
    /** Strings that end a completion. Defaults to none. */
    stop?: readonly string[];
    /** Token ids that end a completion. Defaults to the tokenizer's/generation config's EOS ids. */
    stopTokenIds?: readonly number[];
    /** Completions per prompt (G). Defaults to `1`. */
    numSamples?: number;
    /** Defaults to `0`. */
    seed?: number;
}

export interface GeneratedSample {
    /** Index of the prompt this completes. */
    promptIndex: number;
    /** The prompt's token ids. */
    promptIds: number[];
    /** Completion ids (a stop token id included). */
    ids: number[];
    /** Completion text without special tokens, cut before a stop string. */
    text: string;
    /** log p of each sampled id under the tempered distribution. */
    logprobs: number[];
    finishReason: "stop" | "length";
}

export async function generateSamples(
    policy: Policy,
    prompts: readonly (string | readonly number[])[],
    options: GenerateOptions,
): Promise<GeneratedSample[]> {
    const g = options.numSamples ?? 1;
    if (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 1) {
        throw new RangeError(`generate: maxNewTokens must be an integer >= 1 (got ${options.maxNewTokens})`);
    }
    if (!Number.isInteger(g) || g < 1) throw new RangeError(`generate: numSamples must be an integer >= 1 (got ${g})`);
    const promptIds = prompts.map((p) => (typeof p === "string" ? policy.encode(p) : Array.from(p)));
    promptIds.forEach((ids, i) => {
        if (ids.length === 0) throw new RangeError(`generate: prompt ${i} is empty`);
    });
    const stopIds = new Set(options.stopTokenIds ?? policy.tokenizer?.eosTokenIds ?? policy.generationConfig.eosTokenIds);
    const stops = options.stop ?? [];
    if (stops.length > 0 && !policy.tokenizer) throw new Error("generate: stop strings need a tokenizer");

    const samples: GeneratedSample[] = [];
    for (const [p, ids] of promptIds.entries())
        for (let j = 0; j < g; j++) samples.push({ promptIndex: p, promptIds: ids, ids: [], text: "", logprobs: [], finishReason: "length" });
    const lengths = samples.map((s) => s.promptIds.length);
    const tokens = Int32Array.from(samples.flatMap((s) => s.promptIds));
    const cuSeqlens = Int32Array.from([0, ...lengths.map(((sum) => (len: number) => (sum += len))(0))]);
    const capacity = Math.max(...lengths) + options.maxNewTokens + 1;

    const first = await policy.native.startGeneration({
        tokens, cuSeqlens, capacity,
        seed: options.seed ?? 0,
        temperature: options.temperature ?? 1,
        topK: options.topK ?? 0,
        topP: options.topP ?? 1,
    });
    const { session } = first;
    let step: { seq: Int32Array; ids: Int32Array; logp: Float32Array } = first;
    const cutByStopString = new Set<GeneratedSample>();
    const decodeText = (ids: number[]) => (policy.tokenizer ? policy.tokenizer.decode(ids, { skipSpecialTokens: true }) : "");
    while (step.seq.length > 0) {
        const finished: number[] = [];
        for (let i = 0; i < step.seq.length; i++) {
            const sample = samples[step.seq[i]!]!;
            const id = step.ids[i]!;
            sample.ids.push(id);
            sample.logprobs.push(step.logp[i]!);
            let done = false;
            if (stopIds.has(id)) {
                sample.finishReason = "stop";
                done = true;
            } else if (stops.length > 0) {
                const text = decodeText(sample.ids);
                const hit = stops.map((s) => text.indexOf(s)).filter((k) => k >= 0);
                if (hit.length > 0) {
                    sample.finishReason = "stop";
                    sample.text = text.slice(0, Math.min(...hit));
                    cutByStopString.add(sample);
                    done = true;
                }
            }
            if (!done && sample.ids.length >= options.maxNewTokens) {
                sample.finishReason = "length";
                done = true;
            }
            if (done) finished.push(step.seq[i]!);
        }
        step = await session.next({ finished: Int32Array.from(finished) });
    }
    for (const s of samples) if (!cutByStopString.has(s)) s.text = decodeText(s.ids);
    return samples;
}
