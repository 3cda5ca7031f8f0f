import { describe, expect, test } from "vitest";
import { fractionZeroStd, groupAdvantages, hasRewardSpread, nanMeanStd } from "../../../src/algo/advantages.js";

// Hand-computed: group [1, 0, 0, 1] has mean 0.5 and Bessel std sqrt((4 · 0.25) / 3) = sqrt(1/3);
// the batch [1, 0, 0, 1, 1, 1, 1, 1] has mean 0.75 and std sqrt(1.5 / 7).
const REWARDS = [1, 0, 0, 1, 1, 1, 1, 1];
const A_GROUP = 0.8658754297607016; // 0.5 / (sqrt(1/3) + 1e-4)
const A_BATCH = 1.0798901667961847; // 0.5 / (sqrt(1.5/7) + 1e-4)

describe("groupAdvantages", () => {
    test("scale group: (r − mean_g) / (std_g + 1e-4), Bessel-corrected std", () => {
        const out = groupAdvantages(REWARDS, 4, "group");
        const expected = [A_GROUP, -A_GROUP, -A_GROUP, A_GROUP, 0, 0, 0, 0];
        out.advantages.forEach((a, i) => expect(a).toBeCloseTo(expected[i]!, 12));
        expect(out.groupMean).toEqual([0.5, 1]);
        expect(out.groupStd[0]).toBeCloseTo(0.5773502691896258, 14);
        expect(out.groupStd[1]).toBe(0);
        expect(out.zeroStdGroups).toBe(1);
        expect(out.batchStd).toBeCloseTo(0.4629100498862757, 14);
    });

    test("scale batch: group mean, batch std", () => {
        const out = groupAdvantages(REWARDS, 4, "batch");
        const expected = [A_BATCH, -A_BATCH, -A_BATCH, A_BATCH, 0, 0, 0, 0];
        out.advantages.forEach((a, i) => expect(a).toBeCloseTo(expected[i]!, 12));
        // The zero-std count is per group in every mode.
        expect(out.zeroStdGroups).toBe(1);
    });

    test("scale none: centred only (Dr. GRPO)", () => {
        const out = groupAdvantages([3, 1, 2, 2, 0, 4], 3, "none");
        expect(out.advantages).toEqual([1, -1, 0, 0, -2, 2]);
        expect(out.groupMean).toEqual([2, 2]);
        expect(out.groupStd[0]).toBeCloseTo(1, 14);
        expect(out.groupStd[1]).toBeCloseTo(2, 14);
    });

    test("custom eps", () => {
        const out = groupAdvantages([0, 2], 2, "group", 0);
        // mean 1, std sqrt(2): A = ±1/sqrt(2)
        expect(out.advantages[0]).toBeCloseTo(-Math.SQRT1_2, 14);
        expect(out.advantages[1]).toBeCloseTo(Math.SQRT1_2, 14);
    });

    test("eps 0 with a zero-std group gives 0, not NaN", () => {
        expect(groupAdvantages([1, 1, 0, 1], 2, "group", 0).advantages.slice(0, 2)).toEqual([0, 0]);
    });

    test("NaN rewards: advantage 0, left out of mean and std (nanmean/nanstd)", () => {
        const out = groupAdvantages([1, Number.NaN, 0, 1], 4, "group");
        // scorable 1, 0, 1: mean 2/3, std sqrt(((1/3)² · 2 + (2/3)²) / 2) = sqrt(1/3)
        expect(out.groupMean[0]).toBeCloseTo(2 / 3, 14);
        expect(out.groupStd[0]).toBeCloseTo(Math.sqrt(1 / 3), 14);
        expect(out.advantages[1]).toBe(0);
        expect(out.advantages[0]).toBeCloseTo(0.5772502865071344, 12);
        expect(out.advantages[2]).toBeCloseTo(-2 * 0.5772502865071344, 12);
    });

    test("a group with no scorable reward: mean NaN, std 0, advantages 0, counted as zero-std", () => {
        const nan = Number.NaN;
        const out = groupAdvantages([nan, nan, 1, 0], 2, "group");
        expect(out.groupMean[0]).toBeNaN();
        expect(out.groupStd[0]).toBe(0);
        expect(out.advantages.slice(0, 2)).toEqual([0, 0]);
        expect(out.zeroStdGroups).toBe(1);
        // The batch std ignores the NaNs: std of [1, 0].
        expect(out.batchStd).toBeCloseTo(Math.SQRT1_2, 14);
    });

    test("a single scorable reward: std 0 and advantage 0", () => {
        const nan = Number.NaN;
        const out = groupAdvantages([nan, 5, nan], 3, "group");
        expect(out.groupStd).toEqual([0]);
        expect(out.advantages).toEqual([0, 0, 0]);
    });

    test("near-equal rewards count as zero std (torch.isclose tolerance)", () => {
        expect(groupAdvantages([0.1 + 0.2, 0.3], 2, "group").zeroStdGroups).toBe(1);
    });

    test("bad input names the problem", () => {
        expect(() => groupAdvantages([1, 2, 3], 2, "group")).toThrow(/not a multiple of groupSize 2/);
        expect(() => groupAdvantages([1, Infinity], 2, "group")).toThrow(/rewards\[1\]/);
        expect(() => groupAdvantages([1, 2], 0, "group")).toThrow(/groupSize/);
        expect(() => groupAdvantages([1, 2], 2, "std" as never)).toThrow(/scale/);
        expect(() => groupAdvantages([1, 2], 2, "group", -1)).toThrow(/eps/);
    });

    test("empty batch", () => {
        const out = groupAdvantages([], 4, "group");
        expect(out.advantages).toEqual([]);
        expect(out.zeroStdGroups).toBe(0);
    });
});

describe("fractionZeroStd and helpers", () => {
    test("fraction of groups with equal rewards", () => {
        expect(fractionZeroStd([1, 1, 0, 1, 0, 0, 1, 0], 2)).toBe(0.5);
        expect(fractionZeroStd([], 2)).toBe(0);
    });

    test("nanMeanStd and hasRewardSpread", () => {
        expect(nanMeanStd([2, 4, 4, 4, 5, 5, 7, 9]).std).toBeCloseTo(Math.sqrt(32 / 7), 14);
        expect(hasRewardSpread([1, 1, 1])).toBe(false);
        expect(hasRewardSpread([1, Number.NaN, 0])).toBe(true);
        expect(hasRewardSpread([1, Number.NaN, Number.NaN])).toBe(false);
    });
});
