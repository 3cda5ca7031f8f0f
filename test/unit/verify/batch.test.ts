/** The worker pool and the batch API: hard per-item bound, order, crash recovery, fallback. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
    closeSharedVerifyPool,
    verifyMathAsync,
    verifyMathBatch,
    verifyMathDetailed,
    VerifyPool,
} from "../../../src/verify/index.js";
import { compileVerifyWorker, type CompiledWorker } from "./compiledWorker.js";

const stubWorker = new URL("./fixtures/stubWorker.mjs", import.meta.url);
const brokenWorker = new URL("./fixtures/brokenWorker.mjs", import.meta.url);

const mix: [string, string][] = [
    ["\\frac{1}{2}", "The answer is $0.5$."],
    ["(x+1)^2", "\\boxed{x^2+2x+1}"],
    ["[1, 2)", "[1, 2]"],
    ["\\{1,2\\}", "\\{2,1\\}"],
    ["1", "10^{10^{10}}"],
    ["Monday", "monday"],
    ["42", "43"],
    ["\\sum_{k=1}^{10} k", "55"],
    ["y = 2x + 1", "2x + 1 = y"],
    ["\\sqrt{8}", "2\\sqrt{3}"],
];

describe("verifyMathBatch (in-process, from TypeScript sources)", () => {
    it("falls back to in-process verification and keeps input order", async () => {
        const pool = new VerifyPool({ concurrency: 2 });
        expect(pool.inProcess).toBe(true);
        const results = await verifyMathBatch(mix, { pool });
        await pool.close();
        expect(results.map((r) => r.correct)).toEqual(mix.map(([g, p]) => verifyMathDetailed(g, p).correct));
        expect(results.map((r) => r.correct)).toEqual([true, true, false, true, false, true, false, true, true, false]);
    });

    it("accepts {gold, pred} objects and answers bad items instead of rejecting", async () => {
        const results = await verifyMathBatch([{ gold: "1", pred: "1" }, { gold: "2", pred: 3 as unknown as string }]);
        expect(results[0]!.correct).toBe(true);
        expect(results[1]).toMatchObject({ correct: false, reason: "invalid-input" });
    });

    it("rejects bad options with the field named", async () => {
        await expect(verifyMathBatch([["1", "1"]], { relTol: -1 })).rejects.toThrow(/relTol/);
        expect(() => new VerifyPool({ concurrency: 0 })).toThrow(/concurrency/);
    });

    it("verifyMathAsync answers on a shared pool", async () => {
        await expect(verifyMathAsync("1/2", "0.5")).resolves.toMatchObject({ correct: true });
        await expect(verifyMathAsync("x", "y")).resolves.toMatchObject({ correct: false });
        await closeSharedVerifyPool();
    });
});

describe("VerifyPool with a stand-in worker", () => {
    it("terminates an overrunning item, answers timeout, and the batch goes on in order", async () => {
        const pool = new VerifyPool({ concurrency: 2, workerUrl: stubWorker });
        expect(pool.inProcess).toBe(false);
        const items: [string, string][] = [
            ["a", "a"], ["hang", "x"], ["b", "c"], ["hang", "y"], ["d", "d"], ["e", "e"], ["f", "g"],
        ];
        const t0 = performance.now();
        const results = await verifyMathBatch(items, { pool, timeoutMs: 300 });
        const elapsed = performance.now() - t0;
        await pool.close();
        expect(results.map((r) => r.reason)).toEqual(["exact-match", "timeout", "mismatch", "timeout", "exact-match", "exact-match", "mismatch"]);
        expect(results[1]!.correct).toBe(false);
        // Two hung items on two workers: about one bound each, plus worker restarts.
        expect(elapsed).toBeLessThan(300 * 2 + 4000);
    });

    it("answers worker-error when a worker dies, and replaces it", async () => {
        const pool = new VerifyPool({ concurrency: 1, workerUrl: stubWorker });
        const results = await verifyMathBatch([["crash", "x"], ["p", "p"], ["crash", "y"], ["q", "q"]], { pool });
        await pool.close();
        expect(results.map((r) => r.reason)).toEqual(["worker-error", "exact-match", "worker-error", "exact-match"]);
    });

    it("answers input-too-large when a worker exhausts its heap", async () => {
        const pool = new VerifyPool({ concurrency: 1, workerUrl: stubWorker, memoryLimitMb: 32 });
        const results = await verifyMathBatch([["oom", "x"], ["r", "r"]], { pool, timeoutMs: 20_000 });
        await pool.close();
        expect(results.map((r) => r.reason)).toEqual(["input-too-large", "exact-match"]);
    });

    it("falls back to in-process when workers cannot start", async () => {
        const pool = new VerifyPool({ concurrency: 1, workerUrl: brokenWorker });
        const detail = await pool.verify("x+1", "1+x");
        await pool.close();
        expect(detail.correct).toBe(true);
        expect(pool.inProcess).toBe(true);
    });

    it("decides plain numbers on the calling thread", async () => {
        const pool = new VerifyPool({ concurrency: 1, workerUrl: stubWorker });
        // The stub would call "1/2" vs "0.5" a mismatch; the fast path gets it right.
        const detail = await pool.verify("1/2", "0.5");
        await pool.close();
        expect(detail).toMatchObject({ correct: true, reason: "numeric-equal" });
    });
});

describe("VerifyPool with the real worker, compiled", () => {
    let compiled: CompiledWorker;
    beforeAll(() => {
        compiled = compileVerifyWorker();
    });
    afterAll(() => compiled.remove());

    it("gives the same verdicts as the synchronous path, in order", async () => {
        const pool = new VerifyPool({ concurrency: 2, workerUrl: compiled.url });
        const results = await verifyMathBatch(mix, { pool });
        expect(pool.inProcess).toBe(false);
        await pool.close();
        const expected = mix.map(([g, p]) => verifyMathDetailed(g, p));
        expect(results.map((r) => [r.correct, r.reason])).toEqual(expected.map((r) => [r.correct, r.reason]));
        expect(results[1]!.pred.extracted).toBe("x^2+2x+1");
    });

    it("bounds adversarial items and keeps the rest", async () => {
        const pool = new VerifyPool({ concurrency: 2, workerUrl: compiled.url });
        const items: [string, string][] = [
            ["1", "\\boxed{1000000!}"],
            ["x+1", "1+x"],
            ["2", `\\boxed{${"{".repeat(50_000)}${"}".repeat(50_000)}}`],
            ["1", "\\sum_{k=1}^{10^{9}} k"],
            ["a+b", "b+a"],
        ];
        const t0 = performance.now();
        const results = await verifyMathBatch(items, { pool, timeoutMs: 1000 });
        const elapsed = performance.now() - t0;
        await pool.close();
        expect(results.map((r) => r.correct)).toEqual([false, true, false, false, true]);
        expect(elapsed).toBeLessThan(1000 + 4000);
    });
});
