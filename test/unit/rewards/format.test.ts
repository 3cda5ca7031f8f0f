import { describe, expect, it } from "vitest";
import { formatReward, isStrictFormat, thinkFormatReward } from "../../../src/rewards/format.js";
import type { Completion } from "../../../src/rewards/types.js";

function completion(text: string): Completion {
    return { text, ids: [], finishReason: "stop", prompt: "" };
}

describe("formatReward (R1-Zero strict)", () => {
    const format = formatReward();
    const score = (text: string) => format(completion(text), {});

    it("accepts think then answer, with optional whitespace around", () => {
        expect(score("<think>2+2=4</think><answer>4</answer>")).toBe(1);
        expect(score("\n <think>\nreason\n</think>\n\n<answer>\n4\n</answer>\n  ")).toBe(1);
        expect(score("<think></think><answer></answer>")).toBe(1);
    });

    it("rejects anything after </answer> or before <think>", () => {
        expect(score("<think>a</think><answer>4</answer> Hope that helps!")).toBe(0);
        expect(score("Sure! <think>a</think><answer>4</answer>")).toBe(0);
        expect(score("<think>a</think> so <answer>4</answer>")).toBe(0);
    });

    it("rejects duplicated, nested, missing or swapped tags", () => {
        expect(score("<think>a</think><think>b</think><answer>4</answer>")).toBe(0);
        expect(score("<think>a<think>b</think></think><answer>4</answer>")).toBe(0);
        expect(score("<think>a</think><answer>4</answer><answer>5</answer>")).toBe(0);
        expect(score("<think>a</think><answer><answer>4</answer>")).toBe(0);
        expect(score("<think>a</think>")).toBe(0);
        expect(score("<answer>4</answer>")).toBe(0);
        expect(score("<answer>4</answer><think>a</think>")).toBe(0);
        expect(score("<think>a<answer>4</answer></think>")).toBe(0);
    });

    it("rejects empty and truncated completions", () => {
        expect(score("")).toBe(0);
        expect(score("<think>a</think><answer>4")).toBe(0);
        expect(score("<think>still thinking")).toBe(0);
    });

    it("is case-sensitive about tags", () => {
        expect(isStrictFormat("<THINK>a</THINK><answer>4</answer>")).toBe(false);
    });

    it("with prefilledThink reads the completion as following '<think>'", () => {
        const prefilled = formatReward({ prefilledThink: true });
        expect(prefilled(completion("2+2=4\n</think>\n<answer>4</answer>"), {})).toBe(1);
        expect(prefilled(completion("<think>2+2=4</think><answer>4</answer>"), {})).toBe(0);
        expect(prefilled(completion("2+2=4 <answer>4</answer>"), {})).toBe(0);
    });

    it("names a bad option", () => {
        expect(() => formatReward({ prefilled: true } as never)).toThrow(/unknown option "prefilled"/);
        expect(() => formatReward({ prefilledThink: 1 } as never)).toThrow(/prefilledThink must be a boolean/);
    });
});

describe("thinkFormatReward (TRL think_format_reward)", () => {
    const think = thinkFormatReward();
    const score = (text: string) => think(completion(text), {});

    it("matches TRL's docstring examples", () => {
        expect(score("<think>\nThis is my reasoning.\n</think>\nThis is my answer.")).toBe(1);
        expect(score("<think>\nThis is my reasoning.\nThis is my answer.")).toBe(0);
    });

    it("requires the think block at the very start and only one opening tag", () => {
        expect(score(" <think>a</think>b")).toBe(0);
        expect(score("<think>a</think>b<think>c</think>")).toBe(0);
        expect(score("<think>a<think>b</think>")).toBe(0);
        expect(score("<think>a</think>b</think>")).toBe(1); // TRL's regex allows a stray closing tag later
        expect(score("<think></think>")).toBe(1);
        expect(score("")).toBe(0);
    });

    it("with prefilledThink the completion must not open another think block", () => {
        const prefilled = thinkFormatReward({ prefilledThink: true });
        expect(prefilled(completion("reasoning</think>answer"), {})).toBe(1);
        expect(prefilled(completion("<think>reasoning</think>answer"), {})).toBe(0);
        expect(prefilled(completion("reasoning, truncated"), {})).toBe(0);
    });
});
