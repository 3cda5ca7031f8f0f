/**
 * Shared test utilities: a seeded generator for random inputs and a tolerance
 * check that reports the first element out of bounds.
 */
import { expect } from "vitest";
import { uniformStream } from "../../src/algo/mulberry32.js";

/** Seeded uniform numbers in [0, 1) (mulberry32; deterministic across runs). */
export const seededRandom = uniformStream;

/** Float32Array of `n` uniform values in [lo, hi). */
export function randomFloats(rand: () => number, n: number, lo = -1, hi = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rand();
    return out;
}

/** Int32Array of `n` uniform integers in [0, limit). */
export function randomInts(rand: () => number, n: number, limit: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * limit);
    return out;
}

export interface Tolerance {
    atol: number;
    rtol: number;
}

/** fp32 kernels against float64 references. */
export const FP32: Tolerance = { atol: 1e-5, rtol: 5e-4 };
/** Where a reduction is chunked (e.g. over the vocabulary). */
export const FP32_CHUNKED: Tolerance = { atol: 2e-5, rtol: 1e-3 };

/**
 * Asserts |got[i] - want[i]| <= atol + rtol·|want[i]| for every i (NaN fails),
 * naming the first offending element.
 */
export function expectClose(
    name: string,
    got: ArrayLike<number>,
    want: ArrayLike<number>,
    tol: Tolerance = FP32,
): void {
    expect(got.length, `${name}: length`).toBe(want.length);
    for (let i = 0; i < want.length; i++) {
        const g = got[i]!;
        const w = want[i]!;
        if (!(Math.abs(g - w) <= tol.atol + tol.rtol * Math.abs(w))) {
            expect.fail(`${name}[${i}]: got ${g}, want ${w} (atol ${tol.atol}, rtol ${tol.rtol})`);
        }
    }
}
