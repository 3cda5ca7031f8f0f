/**
 * Rejection sampling, DeepSeek-R1 stage 3: sample k answers per prompt from the RL checkpoint,
 * keep those whose final answer verifies against the gold one, drop chains of thought that mix
 * languages or are unreadable, and write what is left as an SFT dataset.
 *
 * Per prompt, in order: k completions (temperature/topP, seeded) → truncated ones dropped
 * (dropTruncated) → each remaining answer verified (verifyMath by default) → correct ones
 * through the chain filter → `keep` picks all of them, the shortest (fewest tokens; the first
 * on ties), or one at random (seeded per prompt).
 *
 * Output rows: the source columns, then `prompt` (the question as it is in the data, before
 * templating: train with the same data.promptTemplate the prompts were rendered with) and
 * `completion`, then `rs_sample_index`, `rs_correct` (correct answers of the k) and
 * `rs_completion_tokens`. Source columns named prompt or completion are kept as source_prompt
 * and source_completion.
 */
import { writeFileAtomic } from "../model/atomicWrite.js";
import type { GenerateOptions, GeneratedSample } from "../model/generate.js";
import { deriveSeed, Rng } from "../algo/sampling.js";
import { countWordsByScript, languageScripts, thinkingText } from "../rewards/languageConsistency.js";
import { verifyMath } from "../verify/index.js";

/** What rejection sampling needs of a completion. */
export type SampledCompletion = Pick<GeneratedSample, "promptIndex" | "text" | "ids" | "finishReason">;

/** Anything that samples completions: a Policy, a remote sampler, a fake in a test. */
export interface CompletionGenerator {
    generate(prompts: readonly (string | readonly number[])[], options: GenerateOptions): Promise<readonly SampledCompletion[]>;
}

export interface RejectionItem {
    /** What the generator is given: the rendered prompt text (or its ids). */
    input: string | readonly number[];
    /** The question as written to the output's `prompt` column. */
    prompt: string;
    gold: string;
    /** Further columns copied into each kept row. */
    source?: Record<string, unknown>;
}

export type KeepMode = "all" | "shortest" | "random";

/** null keeps the chain; a string rejects it and names the reason (counted in the summary). */
export type ChainFilter = (text: string) => string | null;

export interface ReadabilityFilterOptions {
    /** The language the chain of thought must be in (a key of languageScripts). Defaults to `"en"`. */
    language?: string;
    /** Least share of words in that language (the language-consistency reward's score). Defaults to `0.95`. */
    minLanguageConsistency?: number;
    /** Reject chains with a paragraph longer than this many characters; null = off. Defaults to `null`. */
    maxParagraphChars?: number | null;
    /** Reject chains with a fenced code block (R1 filtered them from math reasoning). Defaults to `false`. */
    rejectCodeBlocks?: boolean;
}

/**
 * R1's readability filter: "mixedLanguage" when the thinking's share of words in `language`
 * (by the language-consistency reward's script detector) is below the threshold;
 * "unreadable" for replacement characters (broken UTF-8); then the optional paragraph and
 * code-block rules.
 */
export function readabilityFilter(options: ReadabilityFilterOptions = {}): ChainFilter {
    const language = options.language ?? "en";
    const scripts = languageScripts[language];
    if (scripts === undefined) throw new RangeError(`readabilityFilter: language must be one of ${Object.keys(languageScripts).join(", ")}; got ${JSON.stringify(language)}`);
    const min = options.minLanguageConsistency ?? 0.95;
    if (!(min >= 0 && min <= 1)) throw new RangeError(`readabilityFilter: minLanguageConsistency must be in [0, 1]; got ${String(min)}`);
    const maxParagraph = options.maxParagraphChars ?? null;
    if (maxParagraph !== null && !(Number.isInteger(maxParagraph) && maxParagraph > 0)) {
        throw new RangeError(`readabilityFilter: maxParagraphChars must be a positive integer or null; got ${String(maxParagraph)}`);
    }
    return (text) => {
        if (text.includes("\uFFFD")) return "unreadable";
        const counts = countWordsByScript(thinkingText(text));
        if (counts.total > 0) {
            let inTarget = 0;
            for (const s of scripts) inTarget += counts.byScript[s] ?? 0;
            if (inTarget / counts.total < min) return "mixedLanguage";
        }
        if (maxParagraph !== null && text.split(/\n\s*\n/).some((p) => p.length > maxParagraph)) return "longParagraph";
        if (options.rejectCodeBlocks && text.includes("```")) return "codeBlock";
        return null;
    };
}

export interface RejectionSamplingOptions {
    /** Completions sampled per prompt. Defaults to `8`. */
    k?: number;
    /** Defaults to `1024`. */
    maxNewTokens?: number;
    /** Defaults to `0.6` (DeepSeek-R1's sampling setting). */
    temperature?: number;
    /** Defaults to `0.95`. */
    topP?: number;
    /** Seeds sampling and the "random" pick. Defaults to `0`. */
    seed?: number;
    /** Prompts per generate call. Defaults to `16`. */
    batchSize?: number;
    /** Which correct completions of a prompt to keep. Defaults to `"all"`. */
    keep?: KeepMode;
    /** Answer checker (gold, completion text). Defaults to verifyMath. */
    verify?: (gold: string, completion: string) => boolean | Promise<boolean>;
    /** Chain filter applied to correct completions; null = none. Defaults to `readabilityFilter()`. */
    filter?: ChainFilter | null;
    /** Drop completions cut by maxNewTokens before verifying. Defaults to `true`. */
    dropTruncated?: boolean;
    /** Stop strings passed to the generator. Defaults to none. */
    stop?: readonly string[];
    /** Called after each batch of prompts. */
    onProgress?: (done: number, total: number, summary: RejectionSummary) => void;
}

export interface RejectionSummary {
    prompts: number;
    /** Completions sampled (prompts × k). */
    sampled: number;
    /** Completions cut by maxNewTokens and dropped unverified. */
    truncated: number;
    /** Answers given to the verifier. */
    checked: number;
    /** Answers the verifier accepted. */
    verified: number;
    /** Correct completions the chain filter rejected, by reason. */
    filtered: Record<string, number>;
    /** Rows written. */
    kept: number;
    /** Prompts with at least one kept row. */
    promptsKept: number;
    generatedTokens: number;
    generationSeconds: number;
    verifySeconds: number;
    /** checked / verifySeconds. */
    answersVerifiedPerSecond: number;
    seconds: number;
}

/** A row of the SFT dataset. */
export type RejectionRow = Record<string, unknown> & { prompt: string; completion: string };

const KEEP_STREAM = 0x4b45;

function checkOptions(o: RejectionSamplingOptions): Required<Omit<RejectionSamplingOptions, "verify" | "filter" | "onProgress" | "stop">> {
    const k = o.k ?? 8;
    const r = {
        k,
        maxNewTokens: o.maxNewTokens ?? 1024,
        temperature: o.temperature ?? 0.6,
        topP: o.topP ?? 0.95,
        seed: o.seed ?? 0,
        batchSize: o.batchSize ?? 16,
        keep: o.keep ?? "all",
        dropTruncated: o.dropTruncated ?? true,
    };
    if (!Number.isInteger(r.k) || r.k < 1) throw new RangeError(`rejectionSample: k must be an integer >= 1; got ${String(r.k)}`);
    if (!Number.isInteger(r.maxNewTokens) || r.maxNewTokens < 1) throw new RangeError(`rejectionSample: maxNewTokens must be an integer >= 1; got ${String(r.maxNewTokens)}`);
    if (!(r.temperature >= 0 && Number.isFinite(r.temperature))) throw new RangeError(`rejectionSample: temperature must be >= 0; got ${String(r.temperature)}`);
    if (!(r.topP > 0 && r.topP <= 1)) throw new RangeError(`rejectionSample: topP must be in (0, 1]; got ${String(r.topP)}`);
    if (!Number.isSafeInteger(r.seed)) throw new RangeError(`rejectionSample: seed must be an integer; got ${String(r.seed)}`);
    if (!Number.isInteger(r.batchSize) || r.batchSize < 1) throw new RangeError(`rejectionSample: batchSize must be an integer >= 1; got ${String(r.batchSize)}`);
    if (!["all", "shortest", "random"].includes(r.keep)) throw new RangeError(`rejectionSample: keep must be "all", "shortest" or "random"; got ${JSON.stringify(r.keep)}`);
    return r;
}

function outputRow(item: RejectionItem, sample: SampledCompletion, sampleIndex: number, correct: number): RejectionRow {
    const row: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(item.source ?? {})) {
        row[key === "prompt" || key === "completion" ? `source_${key}` : key] = value;
    }
    row.prompt = item.prompt;
    row.completion = sample.text;
    row.rs_sample_index = sampleIndex;
    row.rs_correct = correct;
    row.rs_completion_tokens = sample.ids.length;
    return row as RejectionRow;
}

/** Samples, verifies, filters and keeps, as the file comment describes. */
export async function rejectionSample(
    generator: CompletionGenerator,
    items: readonly RejectionItem[],
    options: RejectionSamplingOptions = {},
): Promise<{ rows: RejectionRow[]; summary: RejectionSummary }> {
    const o = checkOptions(options);
    const verify = options.verify ?? ((gold: string, text: string) => verifyMath(gold, text));
    const filter = options.filter === undefined ? readabilityFilter() : options.filter;
    items.forEach((item, i) => {
        if (typeof item.prompt !== "string") throw new TypeError(`rejectionSample: items[${i}].prompt must be a string`);
        if (typeof item.gold !== "string") throw new TypeError(`rejectionSample: items[${i}].gold must be a string`);
    });
    const started = performance.now();
    const summary: RejectionSummary = {
        prompts: items.length, sampled: 0, truncated: 0, checked: 0, verified: 0, filtered: {}, kept: 0, promptsKept: 0,
        generatedTokens: 0, generationSeconds: 0, verifySeconds: 0, answersVerifiedPerSecond: 0, seconds: 0,
    };
    const rows: RejectionRow[] = [];
    for (let start = 0; start < items.length; start += o.batchSize) {
        const chunk = items.slice(start, start + o.batchSize);
        const t0 = performance.now();
        const samples = await generator.generate(chunk.map((it) => it.input), {
            maxNewTokens: o.maxNewTokens, temperature: o.temperature, topP: o.topP, numSamples: o.k,
            seed: deriveSeed(o.seed, start), ...(options.stop ? { stop: options.stop } : {}),
        });
        summary.generationSeconds += (performance.now() - t0) / 1000;
        if (samples.length !== chunk.length * o.k) {
            throw new Error(`rejectionSample: the generator returned ${samples.length} completions for ${chunk.length} prompts × k ${o.k}`);
        }
        const byPrompt: SampledCompletion[][] = chunk.map(() => []);
        for (const s of samples) {
            const list = byPrompt[s.promptIndex];
            if (!list) throw new Error(`rejectionSample: the generator returned promptIndex ${s.promptIndex} outside [0, ${chunk.length})`);
            list.push(s);
        }
        for (const [p, completions] of byPrompt.entries()) {
            const item = chunk[p]!;
            const accepted: number[] = [];
            let correct = 0;
            for (const [j, s] of completions.entries()) {
                summary.sampled++;
                summary.generatedTokens += s.ids.length;
                if (o.dropTruncated && s.finishReason === "length") {
                    summary.truncated++;
                    continue;
                }
                const v0 = performance.now();
                const ok = await verify(item.gold, s.text);
                summary.verifySeconds += (performance.now() - v0) / 1000;
                summary.checked++;
                if (!ok) continue;
                summary.verified++;
                correct++;
                const reason = filter ? filter(s.text) : null;
                if (reason !== null) {
                    summary.filtered[reason] = (summary.filtered[reason] ?? 0) + 1;
                    continue;
                }
                accepted.push(j);
            }
            let chosen = accepted;
            if (accepted.length > 1 && o.keep === "shortest") {
                chosen = [accepted.reduce((best, j) => (completions[j]!.ids.length < completions[best]!.ids.length ? j : best))];
            } else if (accepted.length > 1 && o.keep === "random") {
                chosen = [accepted[Rng.fromSeed(deriveSeed(o.seed, KEEP_STREAM, start + p)).intBelow(accepted.length)]!];
            }
            for (const j of chosen) rows.push(outputRow(item, completions[j]!, j, correct));
            if (chosen.length > 0) summary.promptsKept++;
            summary.kept += chosen.length;
        }
        summary.answersVerifiedPerSecond = summary.checked / Math.max(summary.verifySeconds, 1e-9);
        summary.seconds = (performance.now() - started) / 1000;
        options.onProgress?.(Math.min(start + o.batchSize, items.length), items.length, summary);
    }
    summary.answersVerifiedPerSecond = summary.checked / Math.max(summary.verifySeconds, 1e-9);
    summary.seconds = (performance.now() - started) / 1000;
    return { rows, summary };
}

/** Writes rows as JSONL, atomically. */
export async function writeJsonlRows(file: string, rows: readonly Record<string, unknown>[]): Promise<void> {
    await writeFileAtomic(file, async (handle) => {
        const chunk: string[] = [];
        for (const row of rows) {
            chunk.push(JSON.stringify(row));
            if (chunk.length >= 1024) {
                await handle.write(`${chunk.join("\n")}\n`);
                chunk.length = 0;
            }
        }
        if (chunk.length > 0) await handle.write(`${chunk.join("\n")}\n`);
    });
}
