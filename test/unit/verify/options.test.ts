/** Options: validation with the field named, and the effect of each switch. */
import { describe, expect, it } from "vitest";
import { resolveVerifyOptions, verifyMath, verifyMathDetailed } from "../../../src/verify/index.js";

describe("verify options", () => {
    it.each([
        [{ relTol: -1 }, /relTol/],
        [{ absTol: Number.NaN }, /absTol/],
        [{ timeoutMs: 0 }, /timeoutMs/],
        [{ maxDepth: Infinity }, /maxDepth/],
        [{ samplePoints: -3 }, /samplePoints/],
        [{ useCas: "yes" }, /useCas/],
        [{ tolerance: 1 }, /unknown option "tolerance"/],
    ])("rejects %j", (options, message) => {
        expect(() => resolveVerifyOptions(options as never)).toThrow(message);
        expect(() => verifyMath("1", "1", options as never)).toThrow(message);
    });

    it("rejects non-string inputs with the field named, accepts numbers", () => {
        expect(() => verifyMath(null as never, "1")).toThrow(/gold must be a string/);
        expect(() => verifyMath("1", {} as never)).toThrow(/prediction must be a string/);
        expect(verifyMath(0.5 as never, "1/2")).toBe(true);
    });

    it("relTol widens or narrows numeric equality", () => {
        expect(verifyMath("1.001", "1")).toBe(false);
        expect(verifyMath("1.001", "1", { relTol: 1e-2 })).toBe(true);
        expect(verifyMath("1.0000001", "1", { relTol: 1e-9, absTol: 0 })).toBe(false);
    });

    it("percentEquivalence: false keeps only the fraction reading of a percent", () => {
        expect(verifyMath("50\\%", "50", { percentEquivalence: false })).toBe(false);
        expect(verifyMath("50\\%", "0.5", { percentEquivalence: false })).toBe(true);
    });

    it("useCas: false skips the compute engine", () => {
        expect(verifyMath("\\sum_{k=1}^{10} k", "55", { useCas: false })).toBe(false);
        expect(verifyMath("\\sum_{k=1}^{10} k", "55")).toBe(true);
    });

    it("extractGold: false compares the gold text as it is", () => {
        expect(verifyMath("The answer is \\boxed{5}", "5")).toBe(true);
        expect(verifyMath("The answer is \\boxed{5}", "5", { extractGold: false })).toBe(false);
    });

    it("the detailed form carries forms, reason and time", () => {
        const detail = verifyMathDetailed("\\frac{1}{2}", "We get $x = \\dfrac{1}{2}$.");
        expect(detail).toMatchObject({
            correct: true,
            reason: "numeric-equal",
            gold: { extracted: "\\frac{1}{2}", source: "whole", normalized: "\\frac{1}{2}" },
            pred: { extracted: "x = \\dfrac{1}{2}", source: "math", normalized: "x = \\frac{1}{2}" },
        });
        expect(detail.elapsedMs).toBeGreaterThanOrEqual(0);
        expect(verifyMathDetailed("1", "no numbers here at all, sorry friend").reason).toBe("no-answer-extracted");
        expect(verifyMathDetailed("   ", "1").reason).toBe("no-gold-extracted");
    });

    it("maxAnswerChars and maxDepth are the limits they say", () => {
        expect(verifyMathDetailed("1", `\\boxed{${"1".repeat(30)}}`, { maxAnswerChars: 20 }).reason).toBe("input-too-large");
        expect(verifyMathDetailed("1", "\\boxed{((((1))))}", { maxDepth: 3 }).reason).toBe("input-too-large");
        expect(verifyMath("1", "\\boxed{((((1))))}", { maxDepth: 8 })).toBe(true);
    });
});
