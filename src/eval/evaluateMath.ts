/**
 * Evaluation the DeepSeek-R1 way: for each problem sample k answers and
 * report pass@1 averaged over the k samples, and cons@k, the accuracy of the
 * majority answer (votes counted over the extracted, normalised answers).
 */
import type { Policy } from "../model/policy.js";
import { extractAnswer, normalizeAnswer, verifyMath } from "../verify/index.js";

export interface EvalItem {
    /** Prompt text (or token ids). */
    prompt: string | readonly number[];
    /** Gold answer. */
    gold: string;
}

export interface EvalOptions {
    /** Samples per problem. Defaults to `1`. */
    k?: number;
    /** 0 is greedy. Defaults to `0.6` (DeepSeek-R1's evaluation setting). */
    temperature?: number;
    /** Defaults to `0.95`. */
    topP?: number;
    /** Defaults to `256`. */
    maxNewTokens?: number;
    /** Defaults to `0`. */
    seed?: number;
    /** Prompts generated per batch. Defaults to `64`. */
    batchSize?: number;
    /** Answer checker. Defaults to verifyMath. */
    verify?: (gold: string, prediction: string) => boolean;
}

export interface EvalResult {
    problems: number;
    k: number;
    /** Mean over problems of the fraction of correct samples. */
    passAt1: number;
    /** Fraction of problems whose majority answer is correct. */
    consAtK: number;
    /** Mean completion length in tokens. */
    meanCompletionTokens: number;
}

/** The most common extracted answer (first seen wins ties), or null when none was extracted. */
export function majorityAnswer(completions: readonly string[]): string | null {
    const votes = new Map<string, { count: number; raw: string }>();
    for (const text of completions) {
        const { answer } = extractAnswer(text);
        if (answer === null) continue;
        const key = normalizeAnswer(answer).candidates[0] ?? answer;
        const entry = votes.get(key);
        if (entry) entry.count++;
        else votes.set(key, { count: 1, raw: answer });
    }
    let best: { count: number; raw: string } | null = null;
    for (const entry of votes.values()) if (!best || entry.count > best.count) best = entry;
    return best?.raw ?? null;
}

export async function evaluateMath(policy: Policy, items: readonly EvalItem[], options: EvalOptions = {}): Promise<EvalResult> {
    const k = options.k ?? 1;
    const verify = options.verify ?? ((gold: string, pred: string) => verifyMath(gold, pred));
    const batchSize = options.batchSize ?? 64;
    let passSum = 0, consCount = 0, tokens = 0;
    for (let start = 0; start < items.length; start += batchSize) {
        const chunk = items.slice(start, start + batchSize);
        const samples = await policy.generate(chunk.map((it) => it.prompt), {
            maxNewTokens: options.maxNewTokens ?? 256,
            temperature: options.temperature ?? 0.6,
            topP: options.topP ?? 0.95,
            numSamples: k,
            seed: (options.seed ?? 0) + start,
        });
        chunk.forEach((item, i) => {
            const texts = samples.slice(i * k, (i + 1) * k).map((s) => s.text);
            passSum += texts.filter((t) => verify(item.gold, t)).length / k;
            const majority = majorityAnswer(texts);
            if (majority !== null && verify(item.gold, majority)) consCount++;
        });
        tokens += samples.reduce((a, s) => a + s.ids.length, 0);
    }
    const n = Math.max(items.length, 1);
    return { problems: items.length, k, passAt1: passSum / n, consAtK: consCount / n, meanCompletionTokens: tokens / Math.max(items.length * k, 1) };
}
