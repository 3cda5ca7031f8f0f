import { describe, expect, it } from "vitest";
import { combineRewards, rewardStats } from "../../../src/rewards/combine.js";
import type { Completion, RewardFn, Sample } from "../../../src/rewards/types.js";

function completion(text: string): Completion {
    return { text, ids: [...text].map((c) => c.charCodeAt(0)), finishReason: "stop", prompt: "" };
}

const completions = [completion("a"), completion("bb"), completion("ccc")];
const samples: Sample[] = [{ gold: 1 }, { gold: null }, { gold: 3 }];

describe("combineRewards", () => {
    it("sums weight · reward over non-null rewards and keeps raw scores", async () => {
        const length: RewardFn = (c) => c.text.length;
        const gold: RewardFn = (_c, s) => (s.gold === null ? null : 1);
        const score = combineRewards([
            { name: "length", fn: length, weight: 0.5 },
            { name: "gold", fn: gold, weight: 2 },
        ]);
        const { total, perReward } = await score(completions, samples);
        expect(total).toEqual([0.5 + 2, 1, 1.5 + 2]);
        expect(perReward).toEqual({ length: [1, 2, 3], gold: [1, null, 1] });
    });

    it("gives NaN when every reward abstains, and 0 for a zero-weighted score", async () => {
        const none: RewardFn = () => null;
        const one: RewardFn = (c) => (c.text === "a" ? 1 : null);
        const score = combineRewards([
            { name: "none", fn: none, weight: 1 },
            { name: "one", fn: one, weight: 0 },
        ]);
        const { total } = await score(completions, samples);
        expect(total[0]).toBe(0);
        expect(total[1]).toBeNaN();
        expect(total[2]).toBeNaN();
    });

    it("awaits async rewards and runs them concurrently", async () => {
        let running = 0;
        let peak = 0;
        const slow: RewardFn = async (c) => {
            running++;
            peak = Math.max(peak, running);
            await new Promise((resolve) => setTimeout(resolve, 20));
            running--;
            return c.text.length * 10;
        };
        const score = combineRewards([
            { name: "slow", fn: slow, weight: 1 },
            { name: "also_slow", fn: slow, weight: -1 },
        ]);
        const { total, perReward } = await score(completions, samples);
        expect(perReward.slow).toEqual([10, 20, 30]);
        expect(total).toEqual([0, 0, 0]);
        expect(peak).toBe(6);
    });

    it("handles an empty batch", async () => {
        const score = combineRewards([{ name: "x", fn: () => 1, weight: 1 }]);
        await expect(score([], [])).resolves.toEqual({ total: [], perReward: { x: [] } });
    });

    it("names the reward and the completion when a reward throws or rejects", async () => {
        const bad: RewardFn = (c) => {
            if (c.text === "bb") throw new Error("boom");
            return 1;
        };
        await expect(combineRewards([{ name: "bad", fn: bad, weight: 1 }])(completions, samples)).rejects.toThrow('reward "bad" failed on completion 1: boom');
        const rejecting: RewardFn = async () => {
            throw new Error("sandbox down");
        };
        await expect(combineRewards([{ name: "code", fn: rejecting, weight: 1 }])(completions, samples)).rejects.toThrow(/reward "code" failed on completion 0: sandbox down/);
    });

    it("rejects results that are not a finite number or null", async () => {
        for (const value of [Number.NaN, Number.POSITIVE_INFINITY, undefined, "1", true]) {
            const score = combineRewards([{ name: "odd", fn: (() => value) as unknown as RewardFn, weight: 1 }]);
            await expect(score(completions, samples)).rejects.toThrow(/reward "odd" returned .* for completion 0; a reward returns a finite number or null/);
        }
    });

    it("checks its inputs", async () => {
        const fn: RewardFn = () => 1;
        expect(() => combineRewards([])).toThrow(/non-empty array/);
        expect(() => combineRewards([{ name: "", fn, weight: 1 }])).toThrow(/rewards\[0\].name/);
        expect(() => combineRewards([{ name: "a", fn, weight: 1 }, { name: "a", fn, weight: 2 }])).toThrow(/"a" is used twice/);
        expect(() => combineRewards([{ name: "a", fn: 3 as never, weight: 1 }])).toThrow(/rewards\[0\].fn \("a"\) must be a function/);
        expect(() => combineRewards([{ name: "a", fn, weight: Number.NaN }])).toThrow(/rewards\[0\].weight \("a"\) must be a finite number/);
        const score = combineRewards([{ name: "a", fn, weight: 1 }]);
        await expect(score(completions, samples.slice(1))).rejects.toThrow(/3 completions but 2 samples/);
    });

    it("is not affected by later edits to the reward list", async () => {
        const list = [{ name: "a", fn: (() => 1) as RewardFn, weight: 1 }];
        const score = combineRewards(list);
        list[0]!.weight = 100;
        expect((await score([completion("x")], [{}])).total).toEqual([1]);
    });
});

describe("rewardStats", () => {
    it("computes mean and Bessel-corrected std over non-null values", () => {
        const stats = rewardStats({ a: [1, 2, 3, 4], b: [1, null, 3], c: [null, null], d: [5] });
        expect(stats.a!.mean).toBe(2.5);
        expect(stats.a!.std).toBeCloseTo(Math.sqrt(5 / 3), 15);
        expect(stats.a!.count).toBe(4);
        expect(stats.b).toEqual({ mean: 2, std: Math.SQRT2, count: 2 });
        expect(stats.c!.mean).toBeNaN();
        expect(stats.c!.std).toBeNaN();
        expect(stats.c!.count).toBe(0);
        expect(stats.d).toEqual({ mean: 5, std: 0, count: 1 });
    });

    it("reads the perReward of combineRewards", async () => {
        const score = combineRewards([{ name: "len", fn: (c) => c.text.length, weight: 1 }]);
        const { perReward } = await score(completions, samples);
        expect(rewardStats(perReward).len).toEqual({ mean: 2, std: 1, count: 3 });
    });

    it("rejects a non-array column", () => {
        expect(() => rewardStats({ a: 3 as never })).toThrow(/perReward\["a"\] must be an array/);
    });
});
