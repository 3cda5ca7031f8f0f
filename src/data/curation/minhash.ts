/**
 * MinHash signatures of word n-gram sets, and LSH banding parameters.
 *
 * A text becomes the set of its word n-grams ("shingles", n = `ngram`, after normalisation; a
 * text shorter than n words is one shingle). Each shingle is hashed to 32 bits; for each of
 * `numPerm` hash functions h_i(x) = mix(a_i·x + b_i) the signature keeps the minimum over the
 * shingles. For two texts, P[sig_i(A) = sig_i(B)] = Jaccard(A, B), so the fraction of equal
 * signature entries estimates the Jaccard similarity (standard error ≈ sqrt(J(1−J)/numPerm)).
 *
 * The a_i, b_i come from a seeded generator: equal seeds give equal signatures across runs and
 * machines. Banding: the signature is cut into `bands` bands of `rows` entries; two texts are
 * candidates when any band is identical, which happens with probability 1 − (1 − J^rows)^bands,
 * an S-curve whose steep part sits near (1/bands)^(1/rows). `optimalBands` picks (bands, rows)
 * minimising the false-positive plus false-negative area around a threshold, as datasketch does.
 */
import { Rng, deriveSeed } from "../../algo/sampling.js";
import { normalizeText, words, type NormalizeOptions } from "./text.js";

export interface MinHashOptions extends NormalizeOptions {
    /** Hash functions (signature length). Default 128. */
    numPerm?: number;
    /** Words per shingle. Default 5. */
    ngram?: number;
    /** Seed of the hash functions. Default 0. */
    seed?: number;
}

/** fmix32 of MurmurHash3: a bijective 32-bit finaliser. */
export function fmix32(h: number): number {
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
}

/** FNV-1a over UTF-16 code units, finalised with fmix32. */
export function hashString32(s: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    return fmix32(h >>> 0);
}

export class MinHasher {
    readonly numPerm: number;
    readonly ngram: number;
    private readonly a: Uint32Array;
    private readonly b: Uint32Array;

    constructor(private readonly options: MinHashOptions = {}) {
        this.numPerm = positiveInt(options.numPerm ?? 128, "numPerm");
        this.ngram = positiveInt(options.ngram ?? 5, "ngram");
        const rng = Rng.fromSeed(deriveSeed(options.seed ?? 0, 0x6d696e68)); // "minh"
        this.a = new Uint32Array(this.numPerm);
        this.b = new Uint32Array(this.numPerm);
        for (let i = 0; i < this.numPerm; i++) {
            this.a[i] = rng.nextUint32() | 1; // odd: multiplication by a is a bijection mod 2^32
            this.b[i] = rng.nextUint32();
        }
    }

    /** The distinct 32-bit shingle hashes of a text (none for a text without words). */
    shingleHashes(text: string): Uint32Array {
        const tokens = words(normalizeText(text, this.options));
        if (tokens.length === 0) return new Uint32Array(0);
        const n = Math.min(this.ngram, tokens.length);
        const set = new Set<number>();
        for (let i = 0; i + n <= tokens.length; i++) set.add(hashString32(tokens.slice(i, i + n).join(" ")));
        return Uint32Array.from(set);
    }

    /** The signature of a text, or null when it has no words. */
    signature(text: string): Uint32Array | null {
        const shingles = this.shingleHashes(text);
        if (shingles.length === 0) return null;
        const sig = new Uint32Array(this.numPerm).fill(0xffffffff);
        for (let p = 0; p < this.numPerm; p++) {
            const a = this.a[p]!, b = this.b[p]!;
            let min = 0xffffffff;
            for (let s = 0; s < shingles.length; s++) {
                const h = fmix32((Math.imul(a, shingles[s]!) + b) | 0);
                if (h < min) min = h;
            }
            sig[p] = min;
        }
        return sig;
    }
}

/** The fraction of equal entries of two signatures: the Jaccard estimate. */
export function estimatedJaccard(x: Uint32Array, y: Uint32Array): number {
    if (x.length !== y.length) throw new RangeError(`estimatedJaccard: signatures of lengths ${x.length} and ${y.length}`);
    let equal = 0;
    for (let i = 0; i < x.length; i++) if (x[i] === y[i]) equal++;
    return equal / x.length;
}

/** Exact Jaccard similarity of two texts' shingle sets (for tests and spot checks). */
export function jaccard(hasher: MinHasher, x: string, y: string): number {
    const a = new Set(hasher.shingleHashes(x)), b = new Set(hasher.shingleHashes(y));
    if (a.size === 0 && b.size === 0) return 1;
    let both = 0;
    for (const h of a) if (b.has(h)) both++;
    return both / (a.size + b.size - both);
}

/** P[two texts of Jaccard similarity s share a band]. */
export function candidateProbability(s: number, bands: number, rows: number): number {
    return 1 - (1 - s ** rows) ** bands;
}

function integrate(f: (s: number) => number, lo: number, hi: number, steps = 200): number {
    if (hi <= lo) return 0;
    const h = (hi - lo) / steps;
    let total = 0.5 * (f(lo) + f(hi));
    for (let i = 1; i < steps; i++) total += f(lo + i * h);
    return total * h;
}

/**
 * (bands, rows) with bands·rows ≤ numPerm minimising
 * falsePositiveWeight·∫_0^t P(s) ds + (1 − falsePositiveWeight)·∫_t^1 (1 − P(s)) ds.
 */
export function optimalBands(threshold: number, numPerm: number, falsePositiveWeight = 0.5): { bands: number; rows: number } {
    if (!(threshold > 0 && threshold < 1)) throw new RangeError(`optimalBands: threshold must be in (0, 1), got ${String(threshold)}`);
    positiveInt(numPerm, "numPerm");
    let best = { bands: 1, rows: numPerm }, bestError = Infinity;
    for (let bands = 1; bands <= numPerm; bands++) {
        for (let rows = 1; bands * rows <= numPerm; rows++) {
            const fp = integrate((s) => candidateProbability(s, bands, rows), 0, threshold);
            const fn = integrate((s) => 1 - candidateProbability(s, bands, rows), threshold, 1);
            const error = falsePositiveWeight * fp + (1 - falsePositiveWeight) * fn;
            if (error < bestError - 1e-12) {
                bestError = error;
                best = { bands, rows };
            }
        }
    }
    return best;
}

function positiveInt(value: number, name: string): number {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`MinHash: ${name} must be a positive integer, got ${String(value)}`);
    return value;
}
