import { describe, expect, it } from "vitest";
import { cosineReward, cosineScaled } from "../../../src/rewards/cosineLength.js";
import type { Completion, Sample } from "../../../src/rewards/types.js";

function completion(text: string, length: number): Completion {
    return { text, ids: new Array<number>(length).fill(7), finishReason: "stop", prompt: "" };
}

const right = (length: number) => completion("<think>x</think><answer>\\frac{1}{3}</answer>", length);
const wrong = (length: number) => completion("<think>x</think><answer>\\frac{1}{2}</answer>", length);
const gold: Sample = { solution: "\\frac{1}{3}" };

describe("cosineScaled", () => {
    it("runs from v_max at length 0 to v_min at maxLen", () => {
        expect(cosineScaled(0, 100, 0.5, 1)).toBe(1);
        expect(cosineScaled(100, 100, 0.5, 1)).toBeCloseTo(0.5, 15);
        expect(cosineScaled(50, 100, 0.5, 1)).toBeCloseTo(0.75, 15);
        expect(cosineScaled(25, 100, 0.5, 1)).toBeCloseTo(0.5 + 0.25 * (1 + Math.SQRT1_2), 15);
    });

    it("holds at the long-length bound past maxLen", () => {
        expect(cosineScaled(150, 100, 0.5, 1)).toBeCloseTo(0.5, 15);
        expect(cosineScaled(200, 100, 0.5, 1)).toBeCloseTo(0.5, 15);
    });
});

describe("cosineReward with the default accuracy check", () => {
    const cosine = cosineReward({ maxLen: 100 });

    it("matches TRL's docstring example (50 of 100 tokens: 0.75 / −0.75)", async () => {
        expect(await cosine(right(50), gold)).toBeCloseTo(0.75, 15);
        expect(await cosine(wrong(50), gold)).toBeCloseTo(-0.75, 15);
    });

    it("gives correct answers [0.5, 1], shorter is better", async () => {
        expect(await cosine(right(0), gold)).toBe(1);
        expect(await cosine(right(100), gold)).toBeCloseTo(0.5, 15);
        expect(await cosine(right(99), gold)).toBeGreaterThan(0.5);
        expect(await cosine(right(1000), gold)).toBeCloseTo(0.5, 15);
    });

    it("gives wrong answers [−1, −0.5], longer is penalised less", async () => {
        expect(await cosine(wrong(0), gold)).toBe(-1);
        expect(await cosine(wrong(100), gold)).toBeCloseTo(-0.5, 15);
        expect(await cosine(wrong(101), gold)).toBeCloseTo(-0.5, 15);
        expect((await cosine(wrong(30), gold))!).toBeLessThan((await cosine(wrong(60), gold))!);
    });

    it("treats unfinished (truncated) reasoning as wrong", async () => {
        const truncated: Completion = { ...completion("<think>\\frac{1}{3} maybe", 100), finishReason: "length" };
        expect(await cosine(truncated, gold)).toBeCloseTo(-0.5, 15);
    });

    it("abstains when the gold is missing", async () => {
        expect(await cosine(right(10), {})).toBeNull();
    });

    it("uses accuracy options (gold column)", async () => {
        const byAnswer = cosineReward({ maxLen: 100, accuracy: { goldColumn: "answer" } });
        expect(await byAnswer(right(0), { answer: "1/3" })).toBe(1);
        expect(await byAnswer(right(0), gold)).toBeNull();
    });
});

describe("cosineReward with a custom isCorrect", () => {
    it("uses the verdict and custom bounds", async () => {
        const cosine = cosineReward({
            maxLen: 10,
            isCorrect: (c) => c.text === "yes",
            minValueCorrect: 0,
            maxValueCorrect: 2,
            minValueWrong: -3,
            maxValueWrong: -1,
        });
        expect(cosine(completion("yes", 0), {})).toBe(2);
        expect(cosine(completion("yes", 10), {})).toBeCloseTo(0, 15);
        expect(cosine(completion("yes", 5), {})).toBeCloseTo(1, 15);
        expect(cosine(completion("no", 0), {})).toBe(-3);
        expect(cosine(completion("no", 10), {})).toBeCloseTo(-1, 15);
    });

    it("awaits an async verdict and passes null through", async () => {
        const cosine = cosineReward({ maxLen: 10, isCorrect: async (c) => (c.text === "?" ? null : c.text === "yes") });
        await expect(cosine(completion("yes", 0), {})).resolves.toBe(1);
        await expect(cosine(completion("?", 0), {})).resolves.toBeNull();
    });

    it("rejects a verdict that is not a boolean", () => {
        const cosine = cosineReward({ maxLen: 10, isCorrect: (() => 1) as never });
        expect(() => cosine(completion("yes", 0), {})).toThrow(/isCorrect must return a boolean or null/);
    });
});

describe("cosineReward options", () => {
    it("requires maxLen and names bad options", () => {
        expect(() => cosineReward(undefined as never)).toThrow(/maxLen is required/);
        expect(() => cosineReward({} as never)).toThrow(/maxLen is required/);
        expect(() => cosineReward({ maxLen: 0 })).toThrow(/maxLen must be an integer ≥ 1/);
        expect(() => cosineReward({ maxLen: 10, minValueWrong: Number.NaN })).toThrow(/minValueWrong must be a finite number/);
        expect(() => cosineReward({ maxLen: 10, maxlen: 3 } as never)).toThrow(/unknown option "maxlen"/);
        expect(() => cosineReward({ maxLen: 10, isCorrect: () => true, accuracy: {} })).toThrow(/drop it or drop options.isCorrect/);
    });

    it("reports a completion without ids", () => {
        const cosine = cosineReward({ maxLen: 10, isCorrect: () => true });
        expect(() => cosine({ text: "x" } as never, {})).toThrow(/completion.ids must be an array/);
    });
});
