/**
 * verifyMath: is the prediction's final answer equal to the gold answer?
 *
 * extract (extract.ts) → normalise (normalize.ts) → exact and multiple-choice shortcuts →
 * parse (parse.ts) → compare (compareStructures.ts / compareScalar.ts, the compute engine last).
 *
 * Bounded: raw inputs, extracted answers and nesting depth are capped, every loop checks the
 * deadline, and compute-engine calls pass size guards; a limit hit answers false with reason
 * "input-too-large" or "timeout". For a hard bound on arbitrary input use verifyMathBatch /
 * verifyMathAsync, which also run each item in a worker thread that is terminated on overrun.
 */
import type { Value } from "./ast.js";
import { casCompare } from "./cas.js";
import { canonicalText, compareValues } from "./compareStructures.js";
import type { CompareContext, Verdict } from "./compareTypes.js";
import { Deadline, tooLarge, VerifyAbort } from "./deadline.js";
import { extractAnswer, type Extraction } from "./extract.js";
import { normalizeAnswer } from "./normalize.js";
import { parseAnswer, ParseError } from "./parse.js";
import { plainWords } from "./tokenize.js";
import { resolveVerifyOptions, type AnswerForms, type ResolvedVerifyOptions, type VerifyDetail, type VerifyOptions } from "./types.js";

/** True when the prediction's final answer equals the gold answer. */
export function verifyMath(gold: string, prediction: string, options?: VerifyOptions): boolean {
    return verifyMathDetailed(gold, prediction, options).correct;
}

/** The verdict with the extracted and normalised forms of both answers and the reason. */
export function verifyMathDetailed(gold: string, prediction: string, options?: VerifyOptions): VerifyDetail {
    return verifyWith(gold, prediction, resolveVerifyOptions(options), "full")!;
}

/**
 * The verdict when both answers are plain numbers or fractions (the common case, decided in
 * microseconds without the parser), else null. Used by the batch path to skip the worker hop.
 */
export function verifyMathFast(gold: string, prediction: string, options: ResolvedVerifyOptions): VerifyDetail | null {
    return verifyWith(gold, prediction, options, "fast");
}

const simpleNumber = /^-?(?:\d+(?:\.\d+)?|\d+\/[1-9]\d*|\\frac\{\d+\}\{[1-9]\d*\})$/;

function verifyWith(goldInput: unknown, predInput: unknown, opts: ResolvedVerifyOptions, mode: "full" | "fast"): VerifyDetail | null {
    const goldText = asText(goldInput, "gold");
    const predText = asText(predInput, "prediction");
    const deadline = new Deadline(opts.timeoutMs);
    const gold: AnswerForms = { extracted: null, source: "none", normalized: null };
    const pred: AnswerForms = { extracted: null, source: "none", normalized: null };
    const finish = (verdict: Verdict): VerifyDetail => ({
        correct: verdict.equal,
        reason: verdict.reason,
        gold,
        pred,
        ...(verdict.message !== undefined ? { message: verdict.message } : {}),
        elapsedMs: deadline.elapsedMs(),
    });
    try {
        if (goldText.length > opts.maxInputChars) throw tooLarge(`gold has ${goldText.length} characters (limit ${opts.maxInputChars})`);
        if (predText.length > opts.maxInputChars) throw tooLarge(`prediction has ${predText.length} characters (limit ${opts.maxInputChars})`);

        const goldExtraction: Extraction = opts.extractGold ? extractAnswer(goldText, "gold") : bare(goldText);
        Object.assign(gold, { extracted: goldExtraction.answer, source: goldExtraction.source });
        if (goldExtraction.answer === null) return finish({ equal: false, reason: "no-gold-extracted" });
        const predExtraction = extractAnswer(predText, "pred");
        Object.assign(pred, { extracted: predExtraction.answer, source: predExtraction.source });
        if (predExtraction.answer === null) return finish({ equal: false, reason: "no-answer-extracted" });
        for (const [name, answer] of [["gold", goldExtraction.answer], ["predicted", predExtraction.answer]] as const) {
            if (answer.length > opts.maxAnswerChars) {
                throw tooLarge(`the ${name} answer has ${answer.length} characters (limit ${opts.maxAnswerChars})`);
            }
        }
        deadline.check("extraction");

        const goldCandidates = normalizeAnswer(goldExtraction.answer, { decimalComma: false }).candidates;
        const predCandidates = normalizeAnswer(predExtraction.answer).candidates;
        gold.normalized = goldCandidates[0] ?? null;
        pred.normalized = predCandidates[0] ?? null;
        if (mode === "fast" && !(simpleNumber.test(gold.normalized ?? "") && simpleNumber.test(pred.normalized ?? ""))) return null;

        for (const g of goldCandidates) {
            if (g.length > 0 && predCandidates.includes(g)) return finish({ equal: true, reason: "exact-match" });
        }
        const choice = compareChoices(gold.normalized ?? "", pred.normalized ?? "");
        if (choice !== null) return finish(choice);

        const ctx: CompareContext = { opts, deadline };
        let first: Verdict | null = null;
        for (const g of goldCandidates) {
            for (const p of predCandidates) {
                const verdict = compareCandidates(g, p, ctx);
                if (verdict.equal) return finish(verdict);
                first ??= verdict;
            }
        }
        return finish(first ?? { equal: false, reason: "mismatch" });
    } catch (error) {
        if (error instanceof VerifyAbort) return finish({ equal: false, reason: error.reason, message: error.message });
        if (error instanceof RangeError && /call stack/i.test(error.message)) {
            return finish({ equal: false, reason: "input-too-large", message: "nesting too deep" });
        }
        // A defect in a comparison must not take down a training loop: report it in the verdict.
        return finish({ equal: false, reason: "undecidable", message: `internal error: ${(error as Error).message ?? String(error)}` });
    }
}

function asText(value: unknown, field: string): string {
    if (typeof value === "string") return value;
    if (typeof value === "number" && Number.isFinite(value)) return String(value);
    throw new TypeError(`verifyMath: ${field} must be a string, got ${value === null ? "null" : typeof value}`);
}

function bare(text: string): Extraction {
    const answer = text.trim();
    return answer.length === 0 ? { answer: null, source: "none" } : { answer, source: "whole" };
}

function compareCandidates(g: string, p: string, ctx: CompareContext): Verdict {
    const gv = toValue(g, ctx.opts);
    const pv = toValue(p, ctx.opts);
    if (gv !== null && pv !== null) return compareValues(gv, pv, ctx);
    // One side is beyond our parser: let the compute engine try the LaTeX as written.
    const eitherText = gv?.k === "text" || pv?.k === "text";
    if (ctx.opts.useCas && !eitherText) {
        const outcome = casCompare(g, p, ctx);
        if (outcome.result === "equal") return { equal: true, reason: outcome.how };
        if (outcome.result === "different") return { equal: false, reason: "mismatch", message: outcome.why };
        if (outcome.tooLarge === true) return { equal: false, reason: "input-too-large", message: outcome.why };
        if (canonicalText(g) === canonicalText(p)) return { equal: true, reason: "text-equal" };
        return { equal: false, reason: "undecidable", message: outcome.why };
    }
    if (canonicalText(g) === canonicalText(p)) return { equal: true, reason: "text-equal" };
    return { equal: false, reason: "mismatch", message: "an answer could not be parsed" };
}

const textWord = /[A-Za-z]{3,}/g;

/** A text answer ("Monday", "no solution"): a word of three or more letters that is not math. */
function isTextAnswer(s: string): boolean {
    const words = s.replace(/\\(?:begin|end)\s*\{[^{}]*\}|\\[a-zA-Z]+/g, " ").match(textWord) ?? [];
    return words.some((w) => !plainWords.has(w.toLowerCase()));
}

function toValue(s: string, opts: ResolvedVerifyOptions): Value | null {
    if (isTextAnswer(s)) return { k: "text", s };
    try {
        return parseAnswer(s, opts.maxDepth);
    } catch (error) {
        if (error instanceof ParseError) return null;
        throw error;
    }
}

/** Multiple choice: a gold "C" / "(C)" against a predicted letter, case-insensitively. */
function compareChoices(gold: string, pred: string): Verdict | null {
    const g = /^\(?([A-J])\)?$/.exec(gold);
    if (g === null) return null;
    const p = /^\(?([A-Ja-j])\)?(?:[\s.:)]|$)/.exec(pred);
    if (p === null) return null;
    return p[1]!.toUpperCase() === g[1]
        ? { equal: true, reason: "choice-equal" }
        : { equal: false, reason: "mismatch", message: `choice ${p[1]!.toUpperCase()} against ${g[1]}` };
}
