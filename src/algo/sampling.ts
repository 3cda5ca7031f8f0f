/**
 * Seeded, deterministic randomness for data order: a small PRNG, Fisher-Yates shuffles, and an
 * epoch/batch iterator over prompt indices whose whole state is a plain JSON object, so that
 * `--resume` continues with exactly the batches an uninterrupted run would have drawn.
 *
 * The generator is xoshiro128** (Blackman & Vigna) seeded through splitmix32. Every stream is
 * derived from (seed, stream ids...) with `deriveSeed`, never from a shared global generator, so
 * adding a draw in one place cannot shift the draws of another.
 */

// ---------------------------------------------------------------------------------------------
// PRNG

/** splitmix32 finaliser: a bijective 32-bit mix with good avalanche. */
function mix32(x: number): number {
    let z = (x + 0x9e3779b9) | 0;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
}

function checkSeed(seed: number, what: string): void {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`${what} must be a safe integer; got ${String(seed)}`);
}

/**
 * A 32-bit seed for one stream: mixes a (safe-integer) seed with stream ids, e.g.
 * `deriveSeed(seed, epoch)` for the order of one epoch. Different ids give unrelated streams.
 */
export function deriveSeed(seed: number, ...streams: number[]): number {
    checkSeed(seed, "seed");
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    let h = mix32(mix32(lo) ^ hi);
    for (const [i, s] of streams.entries()) {
        checkSeed(s, `stream id ${i}`);
        h = mix32(h ^ mix32((s >>> 0) ^ mix32(Math.floor(s / 4294967296) >>> 0)));
    }
    return h;
}

/** The serialisable state of an Rng: four unsigned 32-bit words, not all zero. */
export type RngState = [number, number, number, number];

/** xoshiro128**: 128 bits of state, period 2^128 − 1; plenty for shuffles and sampling. */
export class Rng {
    private s0: number;
    private s1: number;
    private s2: number;
    private s3: number;

    private constructor(state: RngState) {
        [this.s0, this.s1, this.s2, this.s3] = state;
    }

    /** A generator for a seed (any safe integer); equal seeds give equal streams. */
    static fromSeed(seed: number): Rng {
        let x = deriveSeed(seed);
        const words: number[] = [];
        for (let i = 0; i < 4; i++) {
            x = mix32(x);
            words.push(x);
        }
        if ((words[0]! | words[1]! | words[2]! | words[3]!) === 0) words[0] = 1;
        return new Rng(words as RngState);
    }

    /** Restores a generator saved with `state()`. */
    static fromState(state: readonly number[]): Rng {
        if (
            !Array.isArray(state) ||
            state.length !== 4 ||
            !state.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)
        ) {
            throw new TypeError(`Rng state must be four unsigned 32-bit integers; got ${JSON.stringify(state)}`);
        }
        if (state.every((w) => w === 0)) throw new RangeError("Rng state must not be all zero");
        return new Rng([state[0]!, state[1]!, state[2]!, state[3]!]);
    }

    state(): RngState {
        return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
    }

    /** Uniform on [0, 2^32). */
    nextUint32(): number {
        const s1 = this.s1;
        const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
        const t = s1 << 9;
        this.s2 ^= this.s0;
        this.s3 ^= this.s1;
        this.s1 ^= this.s2;
        this.s0 ^= this.s3;
        this.s2 ^= t;
        this.s3 = rotl(this.s3, 11);
        return result;
    }

    /** Uniform on [0, 1) with 53 random bits. */
    next(): number {
        const a = this.nextUint32() >>> 5; // 27 bits
        const b = this.nextUint32() >>> 6; // 26 bits
        return (a * 67108864 + b) / 9007199254740992;
    }

    /** Uniform integer on [0, n), exactly (rejection sampling), for 1 <= n <= 2^32. */
    intBelow(n: number): number {
        if (!Number.isInteger(n) || n < 1 || n > 4294967296) {
            throw new RangeError(`intBelow: n must be an integer in [1, 2^32]; got ${String(n)}`);
        }
        // Largest multiple of n that fits in 2^32; draws at or above it would bias small values.
        const limit = 4294967296 - (4294967296 % n);
        for (;;) {
            const x = this.nextUint32();
            if (x < limit) return x % n;
        }
    }
}

function rotl(x: number, k: number): number {
    return (x << k) | (x >>> (32 - k));
}

// ---------------------------------------------------------------------------------------------
// Shuffles

/** Fisher-Yates shuffle of `array` in place with `rng`; returns the same array. */
export function shuffleInPlace<T>(array: T[], rng: Rng): T[] {
    for (let i = array.length - 1; i > 0; i--) {
        const j = rng.intBelow(i + 1);
        const tmp = array[i]!;
        array[i] = array[j]!;
        array[j] = tmp;
    }
    return array;
}

/** A shuffled copy of `array`; the same seed always gives the same order. */
export function shuffle<T>(array: readonly T[], seed: number): T[] {
    return shuffleInPlace(array.slice(), Rng.fromSeed(seed));
}

/** A seeded permutation of 0..n−1. */
export function permutation(n: number, seed: number): number[] {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`permutation: n must be a non-negative integer; got ${String(n)}`);
    return shuffle(
        Array.from({ length: n }, (_, i) => i),
        seed,
    );
}

// ---------------------------------------------------------------------------------------------
// Epoch / batch iterator

/** What to do with the last `size mod batchSize` prompts of an epoch. */
export type BatchRemainder = "drop" | "keep";

export interface BatchIteratorOptions {
    /** N: prompts in the dataset; batches hold indices into it. */
    datasetSize: number;
    /** B: prompts per batch (per optimizer step). */
    batchSize: number;
    seed: number;
    /** Reshuffle every epoch (order of epoch e comes from deriveSeed(seed, e)). Defaults to `true`. */
    shuffle?: boolean;
    /**
     * `"drop"` (default, like verl's drop_last=True): every batch has exactly B prompts and an
     * epoch's last partial batch is skipped (a fresh shuffle covers them in later epochs).
     * `"keep"`: the last batch of an epoch may be short.
     */
    remainder?: BatchRemainder;
    /** The indices the first epoch draws from (e.g. after history resampling); default all. */
    indices?: readonly number[];
}

/** The complete iterator state: JSON-serialisable, and enough to continue exactly. */
export interface BatchIteratorState {
    version: 1;
    datasetSize: number;
    batchSize: number;
    seed: number;
    shuffle: boolean;
    remainder: BatchRemainder;
    /** 0-based epoch of the next batch (before a pending roll-over). */
    epoch: number;
    /** Prompts of this epoch's order already handed out. */
    position: number;
    /** Ascending indices this epoch draws from; null means all of 0..N−1. */
    active: number[] | null;
    /** Indices staged for the next epochs by setNextEpochIndices; null = keep `active`. */
    nextActive: number[] | null;
}

export interface PromptBatch {
    /** The epoch these prompts belong to. */
    epoch: number;
    /** Indices into the dataset, in draw order. */
    indices: number[];
    /** The first batch of its epoch. */
    firstOfEpoch: boolean;
    /**
     * The last batch of its epoch: after scoring it, end the epoch (history resampling) and
     * stage the next epoch's indices before calling next() again.
     */
    lastOfEpoch: boolean;
}

/**
 * Batches of prompt indices, epoch after epoch, reshuffled per epoch. The order of an epoch is
 * a pure function of (seed, epoch, active indices), so the state is just counters plus the
 * active set; `fromState(state())` continues with the identical sequence of batches.
 */
export class EpochBatchIterator {
    private readonly datasetSize: number;
    private readonly batchSize: number;
    private readonly seed: number;
    private readonly doShuffle: boolean;
    private readonly remainder: BatchRemainder;
    private epochIndex = 0;
    private position = 0;
    private active: number[] | null = null;
    private nextActive: number[] | null = null;
    /** Cached order of `epoch` (recomputed on demand, never serialised). */
    private order: number[] | null = null;

    constructor(options: BatchIteratorOptions) {
        this.datasetSize = checkCount(options.datasetSize, "datasetSize", 0);
        this.batchSize = checkCount(options.batchSize, "batchSize", 1);
        checkSeed(options.seed, "seed");
        this.seed = options.seed;
        this.doShuffle = options.shuffle ?? true;
        this.remainder = options.remainder ?? "drop";
        if (this.remainder !== "drop" && this.remainder !== "keep") {
            throw new RangeError(`remainder must be "drop" or "keep"; got ${JSON.stringify(this.remainder)}`);
        }
        if (options.indices !== undefined) this.active = this.checkIndices(options.indices, "indices");
    }

    /** Continues from a saved state; `expect` fields, when given, must match the state. */
    static fromState(
        state: BatchIteratorState,
        expect: { datasetSize?: number; batchSize?: number; seed?: number } = {},
    ): EpochBatchIterator {
        if (typeof state !== "object" || state === null) throw new TypeError("iterator state must be an object");
        if (state.version !== 1) throw new RangeError(`iterator state version must be 1; got ${String(state.version)}`);
        for (const key of ["datasetSize", "batchSize", "seed"] as const) {
            const want = expect[key];
            if (want !== undefined && state[key] !== want) {
                throw new RangeError(
                    `iterator state ${key} is ${String(state[key])} but the run has ${want}: resume with the same data and settings`,
                );
            }
        }
        const it = new EpochBatchIterator({
            datasetSize: state.datasetSize,
            batchSize: state.batchSize,
            seed: state.seed,
            shuffle: state.shuffle,
            remainder: state.remainder,
            ...(state.active === null ? {} : { indices: state.active }),
        });
        it.epochIndex = checkCount(state.epoch, "state.epoch", 0);
        if (state.nextActive !== null) it.nextActive = it.checkIndices(state.nextActive, "state.nextActive");
        const size = it.poolSize();
        it.position = checkCount(state.position, "state.position", 0);
        if (it.position > size) throw new RangeError(`state.position ${it.position} exceeds the epoch size ${size}`);
        return it;
    }

    state(): BatchIteratorState {
        return {
            version: 1,
            datasetSize: this.datasetSize,
            batchSize: this.batchSize,
            seed: this.seed,
            shuffle: this.doShuffle,
            remainder: this.remainder,
            epoch: this.epochIndex,
            position: this.position,
            active: this.active === null ? null : this.active.slice(),
            nextActive: this.nextActive === null ? null : this.nextActive.slice(),
        };
    }

    /** The 0-based epoch the next batch will come from (after any pending roll-over). */
    get epoch(): number {
        return this.position > 0 && this.epochDone() ? this.epochIndex + 1 : this.epochIndex;
    }

    /** Batches in the current epoch (by its active set). */
    batchesPerEpoch(): number {
        const n = this.poolSize();
        return this.remainder === "drop" ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
    }

    /**
     * Restricts every epoch from the next one on to `indices` (deduplicated, sorted, so the
     * caller's order does not matter). The current epoch is not changed.
     */
    setNextEpochIndices(indices: readonly number[]): void {
        this.nextActive = this.checkIndices(indices, "indices");
    }

    next(): PromptBatch {
        if (this.position > 0 && this.epochDone()) {
            this.epochIndex += 1;
            this.position = 0;
            this.order = null;
            if (this.nextActive !== null) {
                this.active = this.nextActive;
                this.nextActive = null;
            }
        }
        const order = this.epochOrder();
        const minimum = this.remainder === "drop" ? this.batchSize : 1;
        if (order.length < minimum) {
            throw new RangeError(
                `epoch ${this.epochIndex} has ${order.length} prompts, fewer than the batch size ${this.batchSize}` +
                    (this.remainder === "drop" ? ' (use remainder "keep", a smaller batch, or more data)' : ""),
            );
        }
        const firstOfEpoch = this.position === 0;
        const take = Math.min(this.batchSize, order.length - this.position);
        const indices = order.slice(this.position, this.position + take);
        this.position += take;
        return { epoch: this.epochIndex, indices, firstOfEpoch, lastOfEpoch: this.epochDone() };
    }

    private epochDone(): boolean {
        const remaining = this.poolSize() - this.position;
        return this.remainder === "drop" ? remaining < this.batchSize : remaining <= 0;
    }

    private poolSize(): number {
        return this.active === null ? this.datasetSize : this.active.length;
    }

    private all(): number[] {
        return Array.from({ length: this.datasetSize }, (_, i) => i);
    }

    private epochOrder(): number[] {
        if (this.order === null) {
            const base = this.active === null ? this.all() : this.active.slice();
            this.order = this.doShuffle ? shuffleInPlace(base, Rng.fromSeed(deriveSeed(this.seed, this.epochIndex))) : base;
        }
        return this.order;
    }

    private checkIndices(indices: readonly number[], what: string): number[] {
        if (!Array.isArray(indices)) throw new TypeError(`${what} must be an array of dataset indices`);
        const seen = new Set<number>();
        for (const [i, v] of indices.entries()) {
            if (!Number.isInteger(v) || v < 0 || v >= this.datasetSize) {
                throw new RangeError(`${what}[${i}] must be an integer in [0, ${this.datasetSize}); got ${String(v)}`);
            }
            seen.add(v);
        }
        return [...seen].sort((a, b) => a - b);
    }
}

function checkCount(value: number, what: string, min: number): number {
    if (!Number.isSafeInteger(value) || value < min) {
        throw new RangeError(`${what} must be an integer >= ${min}; got ${String(value)}`);
    }
    return value;
}
