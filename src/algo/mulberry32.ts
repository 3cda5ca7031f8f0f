/**
 * mulberry32: a tiny seedable 32-bit generator for data generation, weight
 * init and tests (fast, and its streams are fixed forever, which keeps the
 * built-in task and the shipped demo model reproducible).
 */

/** Raw 32-bit outputs. */
export function mulberry32(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return (t ^ (t >>> 14)) >>> 0;
    };
}

/** Uniform numbers in [0, 1). */
export function uniformStream(seed: number): () => number {
    const next = mulberry32(seed);
    return () => next() / 4294967296;
}
