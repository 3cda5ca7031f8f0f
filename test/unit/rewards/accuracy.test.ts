import { describe, expect, it } from "vitest";
import { accuracyReward, answerCorrectness, extractAnswerRegion, goldAnswer, type MathVerifier } from "../../../src/rewards/accuracy.js";
import type { Completion } from "../../../src/rewards/types.js";

function completion(text: string, finishReason: "stop" | "length" = "stop"): Completion {
    return { text, ids: [], finishReason, prompt: "What is 2+2?" };
}

describe("extractAnswerRegion", () => {
    it("takes the answer block, else the text after </think>, else the whole text", () => {
        expect(extractAnswerRegion("<think>2+2</think>\n<answer> 4 </answer>\n")).toBe(" 4 ");
        expect(extractAnswerRegion("<think>2+2</think> so \\boxed{4}")).toBe(" so \\boxed{4}");
        expect(extractAnswerRegion("The answer is \\boxed{4}")).toBe("The answer is \\boxed{4}");
        expect(extractAnswerRegion("<answer>7</answer>")).toBe("7");
    });

    it("returns null when the reasoning never ends", () => {
        expect(extractAnswerRegion("<think>2+2 is \\boxed{4} maybe")).toBeNull();
        expect(extractAnswerRegion("2+2 is 4, so", true)).toBeNull();
        expect(extractAnswerRegion("2+2 is 4</think><answer>4</answer>", true)).toBe("4");
    });

    it("ignores answer blocks inside the thinking and reads the last one after it", () => {
        expect(extractAnswerRegion("<think><answer>3</answer> no wait</think><answer>4</answer>")).toBe("4");
        expect(extractAnswerRegion("<think>x</think><answer>3</answer><answer>5</answer>")).toBe("5");
        expect(extractAnswerRegion("<think>x</think> then <think>y</think> 6")).toBe(" 6");
    });

    it("reads an unclosed answer block to the end (truncated completion)", () => {
        expect(extractAnswerRegion("<think>x</think><answer> 12")).toBe(" 12");
    });
});

describe("goldAnswer", () => {
    it("uses the first non-empty column, accepting strings and numbers", () => {
        expect(goldAnswer({ solution: "\\frac12", answer: "9" }, ["solution", "answer"])).toBe("\\frac12");
        expect(goldAnswer({ solution: "  ", answer: 9 }, ["solution", "answer"])).toBe("9");
        expect(goldAnswer({ answer: 10n }, ["answer"])).toBe("10");
        expect(goldAnswer({ solution: ["4"] }, ["solution"])).toBeNull();
        expect(goldAnswer({ solution: Number.NaN }, ["solution"])).toBeNull();
        expect(goldAnswer({}, ["solution"])).toBeNull();
    });
});

describe("accuracyReward with the default verifier (src/verify)", () => {
    const accuracy = accuracyReward();

    it("scores R1-Zero completions 1 or 0", () => {
        expect(accuracy(completion("<think>1 of 3 parts</think>\n<answer>\\frac{1}{3}</answer>"), { solution: "\\frac{1}{3}" })).toBe(1);
        expect(accuracy(completion("<think>1 of 2 parts</think>\n<answer>\\frac{1}{2}</answer>"), { solution: "\\frac{1}{3}" })).toBe(0);
        expect(accuracy(completion("<think>...</think>\n<answer>0.5</answer>"), { answer: "1/2" })).toBe(1);
    });

    it("reads \\boxed after </think> and plain completions without tags", () => {
        expect(accuracy(completion("<think>2+2</think> The final answer is \\boxed{4}."), { solution: "4" })).toBe(1);
        expect(accuracy(completion("My answer is \\boxed{\\frac{1}{3}}"), { solution: "\\frac{1}{3}" })).toBe(1);
    });

    it("does not credit an answer that only appears inside unfinished thinking", () => {
        expect(accuracy(completion("<think>maybe \\boxed{4} but let me check", "length"), { solution: "4" })).toBe(0);
        expect(accuracy(completion("<think>I think \\boxed{4}</think><answer>5</answer>"), { solution: "4" })).toBe(0);
    });

    it("scores an empty completion 0", () => {
        expect(accuracy(completion(""), { solution: "4" })).toBe(0);
    });

    it("abstains (null) when the gold is missing or empty", () => {
        expect(accuracy(completion("<answer>4</answer>"), {})).toBeNull();
        expect(accuracy(completion("<answer>4</answer>"), { solution: "" })).toBeNull();
        expect(accuracy(completion("<answer>4</answer>"), { solution: null })).toBeNull();
    });

    it("abstains (null) on an unusable gold even for unfinished reasoning", () => {
        expect(accuracy(completion("<think>still going", "length"), { solution: "   " })).toBeNull();
    });

    it("reads the gold from a configured column", () => {
        const custom = accuracyReward({ goldColumn: "target" });
        expect(custom(completion("<answer>42</answer>"), { target: 42, solution: "7" })).toBe(1);
        expect(custom(completion("<answer>42</answer>"), { solution: "42" })).toBeNull();
    });

    it("honours prefilledThink", () => {
        const prefilled = accuracyReward({ prefilledThink: true });
        expect(prefilled(completion("2+2 = 4</think>\n<answer>4</answer>"), { solution: "4" })).toBe(1);
        expect(prefilled(completion("2+2 = \\boxed{4}", "length"), { solution: "4" })).toBe(0);
    });

    it("answerRegion whole verifies the whole completion", () => {
        const whole = accuracyReward({ answerRegion: "whole" });
        expect(whole(completion("<think>so \\boxed{4}", "length"), { solution: "4" })).toBe(1);
    });

    it("runs the default verifier in workers when asked", async () => {
        const pooled = accuracyReward({ useWorkers: true });
        const pending = pooled(completion("<think>x</think><answer>\\frac{2}{4}</answer>"), { solution: "1/2" });
        expect(pending).toBeInstanceOf(Promise);
        expect(await pending).toBe(1);
        const { closeSharedVerifyPool } = await import("../../../src/verify/index.js");
        await closeSharedVerifyPool();
    });
});

describe("accuracyReward with a custom verifier", () => {
    it("passes the gold and the answer region, and maps true/false to 1/0", () => {
        const calls: [string, string][] = [];
        const verifier: MathVerifier = (gold, prediction) => {
            calls.push([gold, prediction]);
            return gold.trim() === prediction.trim();
        };
        const accuracy = accuracyReward({ verifier });
        expect(accuracy(completion("<think>a</think><answer> yes </answer>"), { solution: "yes" })).toBe(1);
        expect(accuracy(completion("<think>a</think><answer>no</answer>"), { solution: "yes" })).toBe(0);
        expect(calls).toEqual([
            ["yes", " yes "],
            ["yes", "no"],
        ]);
    });

    it("verifies unfinished reasoning as an empty answer", () => {
        const seen: string[] = [];
        const accuracy = accuracyReward({ verifier: (_g, p) => (seen.push(p), true) });
        expect(accuracy(completion("<think>never ends"), { solution: "4" })).toBe(1);
        expect(seen).toEqual([""]);
    });

    it("awaits an async verifier", async () => {
        const accuracy = accuracyReward({ verifier: async (g, p) => g === p });
        await expect(accuracy(completion("<answer>3</answer>"), { solution: "3" })).resolves.toBe(1);
        await expect(accuracy(completion("<answer>2</answer>"), { solution: "3" })).resolves.toBe(0);
    });

    it("rejects a verifier that does not return a boolean", () => {
        const accuracy = accuracyReward({ verifier: (() => "yes") as unknown as MathVerifier });
        expect(() => accuracy(completion("<answer>3</answer>"), { solution: "3" })).toThrow(/verifier must return a boolean/);
    });
});

describe("answerCorrectness memo", () => {
    it("verifies a completion once per text and gold, and again when either changes", () => {
        let calls = 0;
        const check = answerCorrectness({ verifier: (g, p) => (calls++, g === p) });
        const c = completion("<answer>4</answer>");
        expect(check(c, { solution: "4" })).toBe(true);
        expect(check(c, { solution: "4" })).toBe(true);
        expect(calls).toBe(1);
        expect(check(c, { solution: "5" })).toBe(false);
        expect(calls).toBe(2);
        c.text = "<answer>5</answer>";
        expect(check(c, { solution: "5" })).toBe(true);
        expect(calls).toBe(3);
    });
});

describe("accuracyReward options", () => {
    it("names the bad option", () => {
        expect(() => accuracyReward({ goldColum: "x" } as never)).toThrow(/unknown option "goldColum"/);
        expect(() => accuracyReward({ goldColumn: [] })).toThrow(/goldColumn/);
        expect(() => accuracyReward({ answerRegion: "tail" as never })).toThrow(/answerRegion/);
        expect(() => accuracyReward({ verifier: 3 as never })).toThrow(/verifier must be a function/);
        expect(() => accuracyReward({ verifyOptions: { relTol: -1 } })).toThrow(/relTol/);
        expect(() => accuracyReward({ verifier: () => true, useWorkers: true })).toThrow(/default verifier only/);
        expect(() => accuracyReward({ prefilledThink: "yes" as never })).toThrow(/prefilledThink must be a boolean/);
    });

    it("reports a completion without text", () => {
        expect(() => accuracyReward()({ ids: [] } as never, { solution: "1" })).toThrow(/completion.text must be a string/);
    });
});
