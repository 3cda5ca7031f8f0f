import { describe, expect, it } from "vitest";
import { repeatedNgramShare, repetitionReward } from "../../../src/rewards/repetition.js";
import type { Completion } from "../../../src/rewards/types.js";

function completion(ids: readonly number[]): Completion {
    return { text: "", ids, finishReason: "stop", prompt: "" };
}

describe("repeatedNgramShare", () => {
    it("is 1 − unique/total over the n-grams", () => {
        expect(repeatedNgramShare([1, 2, 3, 4], 2)).toBe(0);
        expect(repeatedNgramShare([5, 5, 5, 5, 5], 2)).toBe(0.75);
        // trigrams of 1 2 3 1 2 3: 123 231 312 123 → 3 unique of 4
        expect(repeatedNgramShare([1, 2, 3, 1, 2, 3], 3)).toBe(0.25);
    });

    it("does not confuse multi-digit ids (12,3 vs 1,23)", () => {
        expect(repeatedNgramShare([12, 3, 1, 23], 2)).toBe(0);
    });

    it("is 0 below n tokens and for exactly one n-gram", () => {
        expect(repeatedNgramShare([], 3)).toBe(0);
        expect(repeatedNgramShare([1, 1], 3)).toBe(0);
        expect(repeatedNgramShare([1, 1, 1], 3)).toBe(0);
        expect(repeatedNgramShare([1, 1, 1, 1], 3)).toBe(0.5);
    });

    it("with n = 1 counts repeated tokens", () => {
        expect(repeatedNgramShare([1, 2, 1, 2], 1)).toBe(0.5);
    });

    it("reads typed arrays", () => {
        expect(repeatedNgramShare(Int32Array.from([5, 5, 5, 5, 5]), 2)).toBe(0.75);
    });
});

describe("repetitionReward", () => {
    it("matches TRL's docstring example (n = 2)", () => {
        const repetition = repetitionReward({ ngramSize: 2 });
        expect(repetition(completion([1, 2, 3, 4]), {})).toBe(0);
        expect(repetition(completion([5, 5, 5, 5, 5]), {})).toBe(-0.75);
    });

    it("defaults to n = 3 and maxPenalty −1", () => {
        const repetition = repetitionReward();
        expect(repetition(completion([1, 2, 3, 1, 2, 3]), {})).toBe(-0.25);
        expect(repetition(completion([4, 4]), {})).toBe(0);
        expect(repetition(completion([]), {})).toBe(0);
        expect(Object.is(repetition(completion([1, 2, 3, 4]), {}), 0)).toBe(true);
    });

    it("scales by maxPenalty", () => {
        const repetition = repetitionReward({ maxPenalty: -0.5 });
        expect(repetition(completion([9, 9, 9, 9, 9]), {})).toBeCloseTo(-0.5 * (1 - 1 / 3), 15);
    });

    it("rejects bad options", () => {
        expect(() => repetitionReward({ ngramSize: 0 })).toThrow(/ngramSize must be an integer ≥ 1/);
        expect(() => repetitionReward({ ngramSize: 2.5 })).toThrow(/ngramSize/);
        expect(() => repetitionReward({ maxPenalty: 0.5 })).toThrow(/maxPenalty must be ≤ 0/);
        expect(() => repetitionReward()({ text: "" } as never, {})).toThrow(/completion.ids/);
    });
});
