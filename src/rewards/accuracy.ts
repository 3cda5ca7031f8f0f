/**
 * Math accuracy: 1 when the completion's final answer equals the row's gold answer, else 0
 * (DeepSeek-R1's rule-based accuracy reward; TRL's accuracy_reward / reasoning_accuracy_reward).
 *
 * The answer region is cut out first (extractAnswerRegion): the last <answer>…</answer> when the
 * completion has one, else everything after the last </think>, else the whole completion when it
 * has no thinking at all. A completion whose reasoning never ends ("<think>" without "</think>",
 * e.g. truncated) is judged as an empty answer, so it scores 0 (TRL's reasoning_accuracy_reward
 * does the same to penalise incomplete reasoning).
 *
 * The comparison goes through a MathVerifier; the default is verifyMath from src/verify, which
 * extracts \boxed{…} / "the answer is …" inside the region and compares values, intervals, sets
 * and expressions. A row without a usable gold answer (no column, empty, or nothing the verifier
 * can extract) scores null, so it is left out of the sum instead of counting as wrong.
 */
import { resolveVerifyOptions, verifyMathAsync, verifyMathDetailed, type VerifyDetail, type VerifyOptions } from "../verify/index.js";
import { booleanOption, checkOptions, completionText, describe, type Completion, type RewardFn, type Sample } from "./types.js";

/** Is `prediction` (an answer region) the same answer as `gold`? */
export type MathVerifier = (gold: string, prediction: string) => boolean | Promise<boolean>;

/** true / false, or null when the row cannot be judged (no usable gold answer). */
export type CorrectnessCheck = (completion: Completion, sample: Sample) => boolean | null | Promise<boolean | null>;

export interface AccuracyRewardOptions {
    /**
     * Column, or columns tried in order, holding the gold answer. A string or a number is used
     * (numbers are written in decimal); a missing, empty or other value makes the reward null.
     * Default ["solution", "answer"].
     */
    goldColumn?: string | readonly string[];
    /**
     * The comparison. Default: verifyMath from src/verify with `verifyOptions`; with the default,
     * a gold answer from which nothing can be extracted makes the reward null. A custom verifier
     * only gets null for a missing or empty gold.
     */
    verifier?: MathVerifier;
    /** Options of the default verifier (tolerances, time bound, ...). Default: verifyMath's defaults. */
    verifyOptions?: VerifyOptions;
    /**
     * Run the default verifier in worker threads (verifyMathAsync): a hard time bound per item and
     * real parallelism across a batch, at the cost of a message hop. Default false (verifyMath on
     * the calling thread, bounded by its own deadline checks).
     */
    useWorkers?: boolean;
    /** The completion starts after an already-emitted "<think>" (prompt ends in "<think>"). Default false. */
    prefilledThink?: boolean;
    /** "auto": the answer region described above. "whole": the whole completion. Default "auto". */
    answerRegion?: "auto" | "whole";
}

const knownOptions = ["goldColumn", "verifier", "verifyOptions", "useWorkers", "prefilledThink", "answerRegion"] as const;

/**
 * The part of a completion that holds the final answer, or null when the reasoning never ended.
 *
 * - `<think>…</think> … <answer>X</answer>` → X (the last answer block after the last </think>;
 *   an unclosed <answer> runs to the end, so a truncated answer is still read)
 * - `<think>…</think> X` → X
 * - `X` (no think tags, prefilledThink false) → X
 * - `<think>…` without `</think>` (or any text without `</think>` when prefilledThink) → null
 *
 * @example
 * extractAnswerRegion("<think>2+2</think>\n<answer>4</answer>"); // "4"
 * extractAnswerRegion("<think>2+2</think> so \\boxed{4}");       // " so \\boxed{4}"
 * extractAnswerRegion("<think>2+2 is");                         // null
 */
export function extractAnswerRegion(text: string, prefilledThink = false): string | null {
    const close = text.lastIndexOf("</think>");
    let tail: string;
    if (close >= 0) {
        tail = text.slice(close + "</think>".length);
    } else if (prefilledThink || text.includes("<think>")) {
        return null;
    } else {
        tail = text;
    }
    const open = tail.lastIndexOf("<answer>");
    if (open < 0) return tail;
    const end = tail.indexOf("</answer>", open);
    return tail.slice(open + "<answer>".length, end < 0 ? tail.length : end);
}

/** The gold answer of a row, or null when it has none. */
export function goldAnswer(sample: Sample, columns: readonly string[]): string | null {
    if (sample === null || typeof sample !== "object") return null;
    for (const column of columns) {
        const value = sample[column];
        let text: string | null = null;
        if (typeof value === "string") text = value;
        else if (typeof value === "number" && Number.isFinite(value)) text = String(value);
        else if (typeof value === "bigint") text = value.toString();
        if (text !== null && text.trim().length > 0) return text;
    }
    return null;
}

/** Verdict with "null = gold unusable"; the default verifier can tell, a custom one cannot. */
type GoldAwareVerifier = (gold: string, prediction: string) => boolean | null | Promise<boolean | null>;

function fromDetail(detail: VerifyDetail): boolean | null {
    if (detail.gold.extracted === null) return null; // nothing to compare against: no opinion
    if (detail.reason === "worker-error") return null; // the verifier broke, not the answer
    return detail.correct;
}

function defaultVerifier(verifyOptions: VerifyOptions | undefined, useWorkers: boolean): GoldAwareVerifier {
    resolveVerifyOptions(verifyOptions); // a bad option throws now, naming the field
    if (useWorkers) return async (gold, prediction) => fromDetail(await verifyMathAsync(gold, prediction, verifyOptions));
    return (gold, prediction) => fromDetail(verifyMathDetailed(gold, prediction, verifyOptions));
}

function goldColumns(value: unknown): readonly string[] {
    if (value === undefined) return ["solution", "answer"];
    const list = typeof value === "string" ? [value] : value;
    if (!Array.isArray(list) || list.length === 0 || !list.every((c) => typeof c === "string" && c.length > 0)) {
        throw new TypeError(`accuracyReward: options.goldColumn must be a column name or a non-empty list of names, got ${describe(value)}`);
    }
    return list as readonly string[];
}

interface CachedVerdict {
    text: string;
    gold: string;
    verdict: boolean | null | Promise<boolean | null>;
}

/**
 * The accuracy verdict as a reusable check (true / false / null), for rewards that scale
 * something by correctness (cosineReward). Verdicts are memoised per completion object, keyed
 * also by its text and gold, so accuracy and cosine rewards built on the same check verify once.
 *
 * @example
 * const isCorrect = answerCorrectness({ goldColumn: "answer" });
 * await isCorrect({ text: "<think>…</think><answer>4</answer>", ids, finishReason: "stop", prompt }, { answer: "4" }); // true
 */
export function answerCorrectness(options?: AccuracyRewardOptions): CorrectnessCheck {
    checkOptions(options, "accuracyReward", knownOptions);
    const opts = options ?? {};
    const columns = goldColumns(opts.goldColumn);
    const prefilledThink = booleanOption(opts.prefilledThink, "accuracyReward: options.prefilledThink", false);
    const useWorkers = booleanOption(opts.useWorkers, "accuracyReward: options.useWorkers", false);
    const region = opts.answerRegion ?? "auto";
    if (region !== "auto" && region !== "whole") {
        throw new TypeError(`accuracyReward: options.answerRegion must be "auto" or "whole", got ${describe(region)}`);
    }
    if (opts.verifier !== undefined && typeof opts.verifier !== "function") {
        throw new TypeError(`accuracyReward: options.verifier must be a function (gold, prediction) => boolean, got ${describe(opts.verifier)}`);
    }
    if (opts.verifier !== undefined && (opts.verifyOptions !== undefined || opts.useWorkers !== undefined)) {
        throw new TypeError("accuracyReward: options.verifyOptions and options.useWorkers apply to the default verifier only; drop them or drop options.verifier");
    }
    const verify: GoldAwareVerifier = opts.verifier ?? defaultVerifier(opts.verifyOptions, useWorkers);
    const cache = new WeakMap<Completion, CachedVerdict>();

    return (completion, sample) => {
        const text = completionText(completion, "accuracyReward");
        const gold = goldAnswer(sample, columns);
        if (gold === null) return null;
        const hit = cache.get(completion);
        if (hit !== undefined && hit.text === text && hit.gold === gold) return hit.verdict;
        const answer = region === "whole" ? text : extractAnswerRegion(text, prefilledThink);
        // Unfinished reasoning is verified as an empty answer: 0, or null if the gold is unusable.
        let verdict = verify(gold, answer ?? "");
        if (verdict instanceof Promise) {
            verdict = verdict.then(checkVerdict);
            cache.set(completion, { text, gold, verdict });
            verdict.catch(() => cache.delete(completion));
            return verdict;
        }
        verdict = checkVerdict(verdict);
        cache.set(completion, { text, gold, verdict });
        return verdict;
    };
}

function checkVerdict(value: unknown): boolean | null {
    if (typeof value === "boolean" || value === null) return value;
    throw new TypeError(`accuracyReward: the verifier must return a boolean, got ${describe(value)}`);
}

let sharedCheck: CorrectnessCheck | null = null;

/** The check with default options, shared so default accuracy and cosine rewards verify once. */
export function defaultAnswerCorrectness(): CorrectnessCheck {
    sharedCheck ??= answerCorrectness();
    return sharedCheck;
}

/**
 * Math accuracy reward: 1 for a correct final answer, 0 for a wrong or missing one, null for a
 * row without a usable gold answer.
 *
 * @example
 * const accuracy = accuracyReward();
 * accuracy({ text: "<think>1/3 of 3 is 1</think>\n<answer>\\frac{1}{3}</answer>", ... }, { solution: "\\frac{1}{3}" }); // 1
 * accuracy({ text: "<think>…</think>\n<answer>1/2</answer>", ... }, { solution: "\\frac{1}{3}" });                       // 0
 * accuracy({ text: "<think>still thinking", finishReason: "length", ... }, { solution: "1" });                          // 0
 * accuracy({ text: "\\boxed{1}", ... }, {});                                                                             // null
 */
export function accuracyReward(options?: AccuracyRewardOptions): RewardFn {
    const check = options === undefined ? defaultAnswerCorrectness() : answerCorrectness(options);
    return (completion, sample) => {
        const verdict = check(completion, sample);
        if (verdict instanceof Promise) return verdict.then(toScore);
        return toScore(verdict);
    };
}

function toScore(verdict: boolean | null): number | null {
    return verdict === null ? null : verdict ? 1 : 0;
}
