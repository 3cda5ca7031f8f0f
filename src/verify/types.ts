/**
 * Options, verdict reasons and the detailed result of math answer verification.
 *
 * Defaults follow math-verify where it has one (relative tolerance 1e-6, "50%" accepted for
 * both 50 and 0.5); the limits are what keeps a single verification bounded in time.
 */

export interface VerifyOptions {
    /** Relative tolerance for numeric equality: |a − b| ≤ relTol · max(|a|, |b|). Default 1e-6. */
    relTol?: number;
    /** Absolute tolerance, so that values near zero can be equal. Default 1e-9. */
    absTol?: number;
    /** Time bound of one verification in milliseconds. Default 1000. */
    timeoutMs?: number;
    /** Longest raw gold or prediction text accepted, in characters. Default 200_000. */
    maxInputChars?: number;
    /** Longest extracted answer accepted, in characters. Default 2000. */
    maxAnswerChars?: number;
    /** Deepest bracket / brace / fraction nesting accepted in an answer. Default 48. */
    maxDepth?: number;
    /** Ask the compute engine when the fast paths cannot decide. Default true. */
    useCas?: boolean;
    /** Random points at which symbolic expressions are compared. Default 8. */
    samplePoints?: number;
    /** Extract the gold answer from free text (\boxed, <answer>, phrases) too. Default true. */
    extractGold?: boolean;
    /** Accept "50%" against both 50 and 0.5 (math-verify behaviour). Default true. */
    percentEquivalence?: boolean;
}

export type ResolvedVerifyOptions = Required<VerifyOptions>;

export const defaultVerifyOptions: Readonly<ResolvedVerifyOptions> = Object.freeze({
    relTol: 1e-6,
    absTol: 1e-9,
    timeoutMs: 1000,
    maxInputChars: 200_000,
    maxAnswerChars: 2000,
    maxDepth: 48,
    useCas: true,
    samplePoints: 8,
    extractGold: true,
    percentEquivalence: true,
});

/** Why a verdict was reached. The first group means correct, the second incorrect. */
export type VerifyReason =
    | "exact-match"
    | "numeric-equal"
    | "symbolic-equal"
    | "sample-equal"
    | "text-equal"
    | "choice-equal"
    | "interval-equal"
    | "set-equal"
    | "tuple-equal"
    | "matrix-equal"
    | "relation-equal"
    | "mismatch"
    | "no-answer-extracted"
    | "no-gold-extracted"
    | "undecidable"
    | "timeout"
    | "input-too-large"
    | "invalid-input"
    | "worker-error";

/** Where an extracted answer came from. */
export type ExtractionSource =
    | "boxed"
    | "answer-tag"
    | "final-answer"
    | "answer-phrase"
    | "whole"
    | "math"
    | "last-number"
    | "none";

export interface AnswerForms {
    /** The answer as cut out of the text, or null when nothing was found. */
    extracted: string | null;
    source: ExtractionSource;
    /** The normalised form that was compared (first candidate), or null. */
    normalized: string | null;
}

export interface VerifyDetail {
    correct: boolean;
    reason: VerifyReason;
    gold: AnswerForms;
    pred: AnswerForms;
    /** A short human-readable note on the verdict (what mismatched, which limit was hit). */
    message?: string;
    elapsedMs: number;
}

const positiveFields = ["relTol", "absTol", "timeoutMs", "maxInputChars", "maxAnswerChars", "maxDepth", "samplePoints"] as const;

/** Fill defaults and validate; a bad field throws an error that names it. */
export function resolveVerifyOptions(options: VerifyOptions | undefined): ResolvedVerifyOptions {
    if (options === undefined) return defaultVerifyOptions;
    if (typeof options !== "object" || options === null) {
        throw new TypeError("verifyMath: options must be an object");
    }
    const resolved: ResolvedVerifyOptions = { ...defaultVerifyOptions };
    for (const key of Object.keys(options) as (keyof VerifyOptions)[]) {
        const value = options[key];
        if (value === undefined) continue;
        if (!(key in defaultVerifyOptions)) throw new TypeError(`verifyMath: unknown option "${key}"`);
        (resolved as unknown as Record<string, unknown>)[key] = value;
    }
    for (const key of positiveFields) {
        const value = resolved[key];
        const zeroAllowed = key === "relTol" || key === "absTol";
        if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (!zeroAllowed && value === 0)) {
            throw new RangeError(`verifyMath: options.${key} must be a ${zeroAllowed ? "non-negative" : "positive"} finite number, got ${String(value)}`);
        }
    }
    for (const key of ["useCas", "extractGold", "percentEquivalence"] as const) {
        if (typeof resolved[key] !== "boolean") {
            throw new TypeError(`verifyMath: options.${key} must be a boolean, got ${String(resolved[key])}`);
        }
    }
    return resolved;
}
