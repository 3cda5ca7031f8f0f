import { describe, expect, test } from "vitest";
import { learningRate, lrMultiplier, resolveWarmupSteps, type LrSchedule } from "../../../src/algo/schedules.js";

// Expected values worked out by hand from transformers' lr_lambda formulas.
describe("learning-rate schedules (transformers formulas, 0-based LambdaLR steps)", () => {
    test("linear, warmup 10, total 100", () => {
        const s: LrSchedule = { type: "linear", warmupSteps: 10 };
        const at = (step: number) => lrMultiplier(s, step, 100);
        expect(at(0)).toBe(0); // the first update uses λ(0) = 0, as in transformers
        expect(at(5)).toBe(0.5);
        expect(at(10)).toBe(1); // (100 − 10) / 90
        expect(at(55)).toBe(0.5); // 45 / 90
        expect(at(99)).toBeCloseTo(1 / 90, 15);
        expect(at(100)).toBe(0);
        expect(at(150)).toBe(0); // clamped at 0
    });

    test("cosine, warmup 10, total 110", () => {
        const s: LrSchedule = { type: "cosine", warmupSteps: 10 };
        const at = (step: number) => lrMultiplier(s, step, 110);
        expect(at(3)).toBeCloseTo(0.3, 15);
        expect(at(10)).toBe(1);
        expect(at(35)).toBeCloseTo(0.8535533905932737, 15); // ½(1 + cos(π/4))
        expect(at(60)).toBeCloseTo(0.5, 15); // ½(1 + cos(π/2))
        expect(at(110)).toBeCloseTo(0, 15);
    });

    test("cosine with numCycles 1 comes back up to 1", () => {
        const s: LrSchedule = { type: "cosine", numCycles: 1 };
        expect(lrMultiplier(s, 50, 100)).toBeCloseTo(0, 15);
        expect(lrMultiplier(s, 100, 100)).toBeCloseTo(1, 15);
    });

    test("cosine_with_min_lr floors at minLrRate", () => {
        const s: LrSchedule = { type: "cosine_with_min_lr", minLrRate: 0.1 };
        expect(lrMultiplier(s, 0, 100)).toBeCloseTo(1, 15);
        expect(lrMultiplier(s, 50, 100)).toBeCloseTo(0.55, 15); // 0.5 · 0.9 + 0.1
        expect(lrMultiplier(s, 100, 100)).toBeCloseTo(0.1, 15);
    });

    test("constant with warmup 4", () => {
        const s: LrSchedule = { type: "constant", warmupSteps: 4 };
        expect([0, 1, 2, 3, 4, 1000].map((k) => lrMultiplier(s, k, 10))).toEqual([0, 0.25, 0.5, 0.75, 1, 1]);
        expect(lrMultiplier({ type: "constant" }, 0, 10)).toBe(1);
    });

    test("warmupRatio rounds up (math.ceil), warmupSteps wins when > 0", () => {
        expect(resolveWarmupSteps({ type: "linear", warmupRatio: 0.1 }, 95)).toBe(10); // ceil(9.5)
        expect(resolveWarmupSteps({ type: "linear", warmupRatio: 0.07 }, 100)).toBe(8); // Python: ceil(7.000000000000001)
        expect(resolveWarmupSteps({ type: "linear", warmupRatio: 0.25 }, 100)).toBe(25);
        expect(resolveWarmupSteps({ type: "linear" }, 100)).toBe(0);
        expect(lrMultiplier({ type: "linear", warmupRatio: 0.1 }, 5, 100)).toBe(0.5);
    });

    test("learningRate multiplies the base rate", () => {
        expect(learningRate({ type: "linear", warmupSteps: 10 }, 55, 100, 1e-6)).toBeCloseTo(5e-7, 20);
    });

    test("bad schedules name the field", () => {
        expect(() => lrMultiplier({ type: "step" as never }, 0, 10)).toThrow(/lrSchedule\.type/);
        expect(() => lrMultiplier({ type: "linear", warmupSteps: 2, warmupRatio: 0.1 }, 0, 10)).toThrow(/not both/);
        expect(() => lrMultiplier({ type: "linear", warmupSteps: -1 }, 0, 10)).toThrow(/warmupSteps/);
        expect(() => lrMultiplier({ type: "linear", warmupRatio: 2 }, 0, 10)).toThrow(/warmupRatio/);
        expect(() => lrMultiplier({ type: "cosine", minLrRate: 0.1 }, 0, 10)).toThrow(/minLrRate/);
        expect(() => lrMultiplier({ type: "linear" }, -1, 10)).toThrow(/step/);
        expect(() => lrMultiplier({ type: "linear" }, 0, 0)).toThrow(/totalSteps/);
        expect(() => learningRate({ type: "linear" }, 0, 10, Number.NaN)).toThrow(/baseLr/);
    });
});
