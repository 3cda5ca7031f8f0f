import { describe, expect, it } from "vitest";
import { reasoningStepsReward } from "../../../src/rewards/reasoningSteps.js";
import type { Completion } from "../../../src/rewards/types.js";

function completion(text: string): Completion {
    return { text, ids: [], finishReason: "stop", prompt: "" };
}

describe("reasoningStepsReward (Open R1 reasoning_steps_reward)", () => {
    const steps = reasoningStepsReward();
    const score = (text: string) => steps(completion(text), {});

    it("counts step markers, capped at 3", () => {
        expect(score("Step 1: add.\nStep 2: carry.\nStep 3: done.")).toBe(1);
        expect(score("Step 1: a Step 2: b Step 3: c Step 4: d")).toBe(1);
        expect(score("First, add. Finally, stop.")).toBeCloseTo(2 / 3, 15);
        expect(score("First, add.")).toBeCloseTo(1 / 3, 15);
        expect(score("The answer is 4.")).toBe(0);
        expect(score("")).toBe(0);
    });

    it("counts bullets after a newline", () => {
        expect(score("Plan:\n- add\n* carry")).toBeCloseTo(2 / 3, 15);
    });

    it("matches '^\\d+\\.' only at the very start, as Python re.findall without MULTILINE", () => {
        expect(score("1. add")).toBeCloseTo(1 / 3, 15);
        expect(score("Plan\n1. add\n2. carry\n3. done")).toBe(0);
    });

    it("is case-sensitive like the original", () => {
        expect(score("first, second, next, finally,")).toBe(0);
        expect(score("step 1: a")).toBe(0);
    });

    it("takes a custom pattern and target, without g flag too", () => {
        const custom = reasoningStepsReward({ pattern: /Therefore/, targetCount: 2 });
        expect(custom(completion("Therefore a. Therefore b. Therefore c."), {})).toBe(1);
        expect(custom(completion("Therefore a."), {})).toBe(0.5);
        // the same instance gives the same answer twice (no leaked lastIndex)
        expect(custom(completion("Therefore a."), {})).toBe(0.5);
    });

    it("ignores empty matches", () => {
        const empty = reasoningStepsReward({ pattern: /x*/ });
        expect(empty(completion("abc"), {})).toBe(0);
    });

    it("rejects bad options", () => {
        expect(() => reasoningStepsReward({ pattern: "Step" as never })).toThrow(/options.pattern must be a RegExp/);
        expect(() => reasoningStepsReward({ targetCount: 0 })).toThrow(/targetCount must be an integer/);
    });
});
