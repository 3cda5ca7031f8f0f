/** Shared shapes of the comparison stage. */
import type { Deadline } from "./deadline.js";
import type { ResolvedVerifyOptions, VerifyReason } from "./types.js";

export interface CompareContext {
    opts: ResolvedVerifyOptions;
    deadline: Deadline;
}

/** The outcome of comparing two scalar expressions. */
export type ScalarOutcome =
    | { result: "equal"; how: "exact-match" | "numeric-equal" | "symbolic-equal" | "sample-equal" }
    | { result: "different"; why: string }
    /** Neither proof nor counter-example; `tooLarge` when a size guard stopped the attempt. */
    | { result: "undecided"; why: string; tooLarge?: boolean };

/** The outcome of comparing two answers (structures included). */
export interface Verdict {
    equal: boolean;
    reason: VerifyReason;
    message?: string;
}

export function close(a: number, b: number, relTol: number, absTol: number): boolean {
    if (a === b) return true;
    if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
    return Math.abs(a - b) <= Math.max(absTol, relTol * Math.max(Math.abs(a), Math.abs(b)));
}
