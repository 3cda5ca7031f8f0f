import { describe, expect, it } from "vitest";
import { overlongPenalty, overlongReward } from "../../../src/rewards/overlong.js";
import type { Completion } from "../../../src/rewards/types.js";

function completion(length: number): Completion {
    return { text: "", ids: new Array<number>(length).fill(0), finishReason: length >= 100 ? "length" : "stop", prompt: "" };
}

describe("overlongReward (DAPO soft overlong punishment)", () => {
    const overlong = overlongReward({ maxCompletionLength: 100, softPunishCache: 20 });
    const score = (length: number) => overlong(completion(length), {});

    it("is 0 up to and including L_max − L_cache", () => {
        expect(score(0)).toBe(0);
        expect(score(79)).toBe(0);
        expect(score(80)).toBe(0);
    });

    it("ramps linearly over the cache, reaching −1 exactly at L_max", () => {
        expect(score(81)).toBeCloseTo(-1 / 20, 15);
        expect(score(90)).toBe(-0.5);
        expect(score(99)).toBeCloseTo(-19 / 20, 15);
        expect(score(100)).toBe(-1);
    });

    it("is −1 beyond L_max", () => {
        expect(score(101)).toBe(-1);
        expect(score(1000)).toBe(-1);
    });

    it("defaults the cache to 20% of L_max", () => {
        const byDefault = overlongReward({ maxCompletionLength: 50 });
        expect(byDefault(completion(40), {})).toBe(0);
        expect(byDefault(completion(45), {})).toBe(-0.5);
    });

    it("with a zero cache punishes only past L_max", () => {
        expect(overlongPenalty(100, 100, 0)).toBe(0);
        expect(overlongPenalty(101, 100, 0)).toBe(-1);
    });

    it("with cache = L_max ramps from the first token", () => {
        expect(overlongPenalty(0, 10, 10)).toBe(0);
        expect(overlongPenalty(5, 10, 10)).toBe(-0.5);
    });

    it("requires L_max and checks the cache", () => {
        expect(() => overlongReward(undefined as never)).toThrow(/maxCompletionLength is required/);
        expect(() => overlongReward({} as never)).toThrow(/maxCompletionLength is required/);
        expect(() => overlongReward({ maxCompletionLength: 10, softPunishCache: 11 })).toThrow(/must not exceed/);
        expect(() => overlongReward({ maxCompletionLength: 10, softPunishCache: -1 })).toThrow(/softPunishCache must be an integer ≥ 0/);
        expect(() => overlongReward({ maxCompletionLength: 1.5 })).toThrow(/maxCompletionLength must be an integer/);
    });
});
