/**
 * How a program's answer is compared with the expected one.
 *
 * stdout: token-wise, whitespace-insensitive (any run of spaces, tabs and
 * newlines separates tokens; leading/trailing whitespace is ignored), as
 * competitive-programming judges do. With a float tolerance, two tokens that
 * both parse as numbers also match when |got − want| ≤ tol · max(1, |want|)
 * (absolute near zero, relative for large values).
 *
 * return values: deep equality of JSON values, numbers within the same
 * tolerance when one is given (exact otherwise).
 */

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export interface CompareOptions {
    /** Float tolerance (0 = exact). Default 0. */
    floatTolerance?: number;
}

function numbersClose(got: number, want: number, tol: number): boolean {
    if (got === want) return true;
    if (!Number.isFinite(got) || !Number.isFinite(want)) return false;
    return Math.abs(got - want) <= tol * Math.max(1, Math.abs(want));
}

function tokens(text: string): string[] {
    const trimmed = text.trim();
    return trimmed === "" ? [] : trimmed.split(/\s+/);
}

/** True when `got` (program stdout) matches `want` token by token. */
export function outputsMatch(got: string, want: string, options: CompareOptions = {}): boolean {
    const tol = options.floatTolerance ?? 0;
    const a = tokens(got);
    const b = tokens(want);
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
        const x = a[i]!;
        const y = b[i]!;
        if (x === y) continue;
        if (tol > 0 && NUMBER.test(x) && NUMBER.test(y) && numbersClose(Number(x), Number(y), tol)) continue;
        return false;
    }
    return true;
}

/** Deep equality of JSON-like values (objects compare by key set), numbers within the tolerance. */
export function valuesMatch(got: unknown, want: unknown, options: CompareOptions = {}): boolean {
    const tol = options.floatTolerance ?? 0;
    if (typeof got === "number" && typeof want === "number") return tol > 0 ? numbersClose(got, want, tol) : got === want;
    if (got === null || want === null || typeof got !== "object" || typeof want !== "object") return got === want;
    if (Array.isArray(got) !== Array.isArray(want)) return false;
    if (Array.isArray(got) && Array.isArray(want)) {
        return got.length === want.length && got.every((g, i) => valuesMatch(g, want[i], options));
    }
    const ga = got as Record<string, unknown>;
    const wa = want as Record<string, unknown>;
    const keys = Object.keys(wa);
    if (Object.keys(ga).length !== keys.length) return false;
    return keys.every((k) => Object.hasOwn(ga, k) && valuesMatch(ga[k], wa[k], options));
}
