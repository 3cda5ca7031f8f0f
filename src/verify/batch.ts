/**
 * Asynchronous verification with a hard per-item time bound: verifyMathBatch for many pairs
 * (results in input order), verifyMathAsync for one pair on a shared pool.
 */
import type { VerifyDetail, VerifyOptions } from "./types.js";
import { VerifyPool, type VerifyPoolOptions } from "./workerPool.js";

export interface GoldPredPair {
    gold: string;
    pred: string;
}

export interface BatchOptions extends VerifyOptions, VerifyPoolOptions {
    /** An existing pool to run on (kept open); otherwise one is made for the call and closed. */
    pool?: VerifyPool;
}

/** Verify pairs in parallel worker threads; one overrunning item answers "timeout" and the rest go on. */
export async function verifyMathBatch(pairs: readonly (GoldPredPair | readonly [string, string])[], options: BatchOptions = {}): Promise<VerifyDetail[]> {
    if (!Array.isArray(pairs)) throw new TypeError("verifyMathBatch: pairs must be an array");
    const { pool: given, concurrency, workerUrl, memoryLimitMb, startupTimeoutMs, ...verifyOptions } = options;
    const pool = given ?? new VerifyPool({ concurrency, workerUrl, memoryLimitMb, startupTimeoutMs });
    try {
        return await Promise.all(
            pairs.map((pair) => {
                const [gold, pred] = Array.isArray(pair) ? pair : [(pair as GoldPredPair).gold, (pair as GoldPredPair).pred];
                return pool.verify(gold as string, pred as string, verifyOptions);
            }),
        );
    } finally {
        if (given === undefined) await pool.close();
    }
}

let sharedPool: VerifyPool | null = null;

/** Verify one pair on a shared, lazily started pool (its idle workers do not keep the process alive). */
export function verifyMathAsync(gold: string, pred: string, options?: VerifyOptions): Promise<VerifyDetail> {
    sharedPool ??= new VerifyPool();
    return sharedPool.verify(gold, pred, options);
}

/** Stop the shared pool of verifyMathAsync (a later call starts a new one). */
export async function closeSharedVerifyPool(): Promise<void> {
    const pool = sharedPool;
    sharedPool = null;
    if (pool !== null) await pool.close();
}
