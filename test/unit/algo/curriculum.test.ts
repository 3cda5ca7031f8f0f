import { describe, expect, test } from "vitest";
import { Curriculum, difficultiesFromRows, difficultyRanks, orderByDifficulty } from "../../../src/algo/curriculum.js";

const sortedCopy = (xs: readonly number[]) => xs.slice().sort((a, b) => a - b);

describe("difficulty ranking", () => {
    test("labels rank easy < medium < hard, case-insensitive; ties in a seeded order", () => {
        const values = ["hard", "Easy", "medium", "easy ", "HARD"];
        const order = orderByDifficulty(values, 7);
        expect(sortedCopy(order.slice(0, 2))).toEqual([1, 3]);
        expect(order[2]).toBe(2);
        expect(sortedCopy(order.slice(3))).toEqual([0, 4]);
        expect(orderByDifficulty(values, 7)).toEqual(order);
    });

    test("numbers, numeric strings; tie order depends on the seed", () => {
        expect(orderByDifficulty([5, 1, 3], 0)).toEqual([1, 2, 0]);
        expect(orderByDifficulty(["2.5", "0.5"], 0)).toEqual([1, 0]);
        const ties = new Array(20).fill(1);
        const a = orderByDifficulty(ties, 1);
        const b = orderByDifficulty(ties, 2);
        expect(sortedCopy(a)).toEqual(sortedCopy(b));
        expect(a).not.toEqual(b);
    });

    test("errors name the row and column", () => {
        expect(() => difficultyRanks([1, "hard"], "level")).toThrow(/column "level" mixes labels and numbers: row 0 is 1, row 1 is "hard"/);
        expect(() => difficultyRanks([1, "tricky"], "level")).toThrow(/row 1, column "level"/);
        expect(() => difficultyRanks([1, null])).toThrow(/row 1/);
        expect(() => difficultiesFromRows([{ d: 1 }, { e: 2 }], "d")).toThrow(/row 1 has no difficulty column "d"/);
        expect(difficultiesFromRows([{ d: 1 }, { d: "easy" }], "d")).toEqual([1, "easy"]);
    });
});

describe("Curriculum schedules", () => {
    const ten = [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]; // index 9 is easiest

    test("linear: the easiest fraction start + (1 − start)·s/ramp of the ranking", () => {
        const c = new Curriculum(ten, { type: "linear", startFraction: 0.2, rampSteps: 10 }, 3);
        expect(c.order).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
        expect(c.poolAt(0)).toEqual([9, 8]);
        expect(c.poolAt(5)).toEqual([9, 8, 7, 6, 5, 4]); // f = 0.6
        expect(c.fractionAt(10)).toBe(1);
        expect(c.fractionAt(25)).toBe(1);
        // 0.3 · 10 is 3.0000000000000004 in floats: still 3 samples.
        expect(new Curriculum(ten, { type: "linear", startFraction: 0.3, rampSteps: 10 }, 0).poolAt(0)).toEqual([9, 8, 7]);
    });

    test("linear batches: distinct, from the pool, a pure function of (seed, step)", () => {
        const c = new Curriculum(ten, { type: "linear", startFraction: 0.5, rampSteps: 10 }, 3);
        const b0 = c.batchAt(0, 3);
        expect(new Set(b0).size).toBe(3);
        for (const i of b0) expect([9, 8, 7, 6, 5]).toContain(i);
        expect(c.batchAt(0, 3)).toEqual(b0);
        expect(new Curriculum(ten, { type: "linear", startFraction: 0.5, rampSteps: 10 }, 3).batchAt(0, 3)).toEqual(b0);
        // Different steps draw differently (over several steps at least one differs).
        const others = [1, 2, 3, 4].map((s) => c.batchAt(s, 3).join());
        expect(others.some((o) => o !== b0.join())).toBe(true);
        // A pool smaller than the batch grows to the batch size.
        const small = c.batchAt(0, 8);
        expect(new Set(small).size).toBe(8);
    });

    test("staged: pools by maximum difficulty, then all data", () => {
        const d = [1, 2, 3, 1, 2, 3];
        const c = new Curriculum(d, { type: "staged", stages: [{ untilStep: 5, maxDifficulty: 1 }, { untilStep: 10, maxDifficulty: 2 }] }, 0);
        expect(sortedCopy(c.poolAt(0))).toEqual([0, 3]);
        expect(sortedCopy(c.poolAt(4))).toEqual([0, 3]);
        expect(sortedCopy(c.poolAt(5))).toEqual([0, 1, 3, 4]);
        expect(sortedCopy(c.poolAt(10))).toEqual([0, 1, 2, 3, 4, 5]);
        // Stage 0 pool has 2 samples: a batch of 3 reuses one after a full pass.
        const batch = c.batchAt(0, 3);
        expect(batch.length).toBe(3);
        for (const i of batch) expect([0, 3]).toContain(i);
        expect(sortedCopy(batch.slice(0, 2))).toEqual([0, 3]);
    });

    test("staged with labels", () => {
        const c = new Curriculum(["hard", "easy", "medium"], { type: "staged", stages: [{ untilStep: 2, maxDifficulty: "easy" }] }, 0);
        expect(c.poolAt(0)).toEqual([1]);
        expect(sortedCopy(c.poolAt(2))).toEqual([0, 1, 2]);
    });

    test("sorted: one easy-to-hard pass, B per step, then around", () => {
        const c = new Curriculum([3, 1, 2, 0], { type: "sorted" }, 0);
        expect(c.batchAt(0, 2)).toEqual([3, 1]);
        expect(c.batchAt(1, 2)).toEqual([2, 0]);
        expect(c.batchAt(2, 3)).toEqual([2, 0, 3]); // positions 6, 7, 8 mod 4
    });

    test("exclude removes samples from the pool", () => {
        const c = new Curriculum([3, 1, 2, 0], { type: "sorted" }, 0);
        expect(c.batchAt(0, 3, new Set([1]))).toEqual([3, 2, 0]);
        const lin = new Curriculum(ten, { type: "linear", startFraction: 0.3, rampSteps: 10 }, 1);
        for (const i of lin.batchAt(0, 2, new Set([9]))) expect([8, 7]).toContain(i);
        expect(() => lin.batchAt(0, 2, new Set([9, 8, 7]))).toThrow(/pool at step 0 is empty/);
    });

    test("bad schedules name the field", () => {
        expect(() => new Curriculum(ten, { type: "linear", startFraction: 0, rampSteps: 10 }, 0)).toThrow(/startFraction/);
        expect(() => new Curriculum(ten, { type: "linear", startFraction: 0.5, rampSteps: 0 }, 0)).toThrow(/rampSteps/);
        expect(() => new Curriculum(ten, { type: "staged", stages: [] }, 0)).toThrow(/stages/);
        expect(() => new Curriculum(ten, { type: "staged", stages: [{ untilStep: 5, maxDifficulty: 1 }, { untilStep: 5, maxDifficulty: 2 }] }, 0)).toThrow(
            /stages\[1\]\.untilStep/,
        );
        expect(() => new Curriculum(ten, { type: "staged", stages: [{ untilStep: 5, maxDifficulty: "easy" }] }, 0)).toThrow(/label but the difficulty column holds numbers/);
        expect(() => new Curriculum(ten, { type: "staged", stages: [{ untilStep: 5, maxDifficulty: -1 }] }, 0).poolAt(0)).toThrow(/no sample with difficulty <= -1/);
        expect(() => new Curriculum(ten, { type: "spiral" } as never, 0)).toThrow(/schedule\.type/);
        expect(() => new Curriculum([], { type: "sorted" }, 0)).toThrow(/at least one/);
    });
});
