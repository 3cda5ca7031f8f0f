import { describe, expect, it } from "vitest";
import { defaultTags, tagCountReward } from "../../../src/rewards/tagCount.js";
import type { Completion } from "../../../src/rewards/types.js";

function completion(text: string): Completion {
    return { text, ids: [], finishReason: "stop", prompt: "" };
}

describe("tagCountReward (Open R1 tag_count_reward)", () => {
    const tagCount = tagCountReward();
    const score = (text: string) => tagCount(completion(text), {});

    it("uses Open R1's four tags by default", () => {
        expect(defaultTags).toEqual(["<think>\n", "\n</think>\n", "\n<answer>\n", "\n</answer>"]);
    });

    it("gives 0.25 per tag found exactly once", () => {
        expect(score("<think>\nx\n</think>\n<answer>\n4\n</answer>")).toBe(1);
        expect(score("<think>\nx\n</think>\n<answer>4</answer>")).toBe(0.5);
        expect(score("<think>x</think><answer>4</answer>")).toBe(0);
        expect(score("<think>\nx")).toBe(0.25);
        expect(score("")).toBe(0);
    });

    it("gives nothing for a tag that appears twice", () => {
        expect(score("<think>\na\n</think>\n<think>\nb\n</think>\n<answer>\n4\n</answer>")).toBe(0.5);
    });

    it("takes configurable tags, each worth 1/count", () => {
        const two = tagCountReward({ tags: ["<think>", "</think>"] });
        expect(two(completion("<think>a</think>"), {})).toBe(1);
        expect(two(completion("<think>a"), {})).toBe(0.5);
        const three = tagCountReward({ tags: ["<a>", "<b>", "<c>"] });
        expect(three(completion("<a><b>"), {})).toBeCloseTo(2 / 3, 15);
    });

    it("puts a prefilled <think> back before counting", () => {
        const prefilled = tagCountReward({ prefilledThink: true });
        expect(prefilled(completion("\nx\n</think>\n<answer>\n4\n</answer>"), {})).toBe(1);
    });

    it("rejects bad tags", () => {
        expect(() => tagCountReward({ tags: [] })).toThrow(/options.tags/);
        expect(() => tagCountReward({ tags: ["<a>", ""] })).toThrow(/options.tags/);
        expect(() => tagCountReward({ tags: "<a>" as never })).toThrow(/options.tags/);
    });
});
