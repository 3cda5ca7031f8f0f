/** Radicals, π, functions and symbolic expressions (random points, then the compute engine). */
import { describe, expect, it } from "vitest";
import { verifyMath, verifyMathDetailed } from "../../../src/verify/index.js";

type Row = [gold: string, pred: string, expected: boolean];

const rows: Row[] = [
    // radicals
    ["\\sqrt{8}", "2\\sqrt{2}", true],
    ["2\\sqrt{2}", "\\sqrt 8", true],
    ["\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}", true],
    ["\\sqrt[3]{27}", "3", true],
    ["\\sqrt[3]{-8}", "-2", true],
    ["\\sqrt{2}", "1.41421356", true],
    ["\\sqrt{3}/3", "\\frac{1}{\\sqrt3}", true],
    ["sqrt(12)", "2\\sqrt{3}", true],
    ["\\sqrt{8}", "2\\sqrt{3}", false],
    ["\\sqrt{2}", "1.41", false],
    ["\\sqrt{2}", "2", false],
    // pi and e
    ["2\\pi", "\\pi \\cdot 2", true],
    ["\\pi", "3.14159265", true],
    ["\\frac{\\pi}{2}", "pi/2", true],
    ["\\pi r^2", "r^2\\pi", true],
    ["e^{2}", "\\exp(2)", true],
    ["\\pi", "3.14", false],
    ["2\\pi", "\\pi", false],
    ["e", "2.7", false],
    // functions
    ["\\ln e", "1", true],
    ["\\log_2 8", "3", true],
    ["\\log 100", "2", true],
    ["\\sin\\frac{\\pi}{6}", "\\frac12", true],
    ["\\sin^{-1} 1", "\\frac{\\pi}{2}", true],
    ["5!", "120", true],
    ["\\binom{6}{3}", "20", true],
    ["\\lfloor 3.7 \\rfloor", "3", true],
    ["\\lceil 3.2 \\rceil", "4", true],
    ["|{-3}|", "3", true],
    ["2^{10}", "1024", true],
    ["2^10", "1024", true],
    ["\\ln 2", "\\log 2", false],
    ["5!", "100", false],
    ["2^{10}", "1000", false],
    ["\\sin x", "\\cos x", false],
    // symbolic (sampled at random points)
    ["\\cos^2 x + \\sin^2 x", "1", true],
    ["(x+1)^2", "x^2 + 2x + 1", true],
    ["x^2-1", "(x-1)(x+1)", true],
    ["\\frac{x^2-1}{x-1}", "x+1", true],
    ["2x+3y", "3y+2x", true],
    ["\\frac{a}{b}", "a/b", true],
    ["a^2b", "b a^2", true],
    ["\\frac{1}{x}+\\frac{1}{y}", "\\frac{x+y}{xy}", true],
    ["\\sqrt{x^2}", "|x|", true],
    ["|x|", "\\left| x \\right|", true],
    ["x_1 + x_2", "x_2 + x_1", true],
    ["\\alpha + \\beta", "\\beta+\\alpha", true],
    ["\\frac{1}{2}x", "x/2", true],
    ["3+4i", "4i+3", true],
    ["(x+1)^2", "x^2+1", false],
    ["x^2-1", "(x-1)^2", false],
    ["\\frac{x^2-1}{x-1}", "x-1", false],
    ["2x+3y", "2y+3x", false],
    ["\\sqrt{x^2}", "x", false],
    ["x", "y", false],
    ["\\frac{a}{b}", "\\frac{b}{a}", false],
    ["x^2", "2x", false],
    ["\\frac{1}{2}x", "\\frac{1}{2x}", false],
    ["x_1 + x_2", "x_1 + x_3", false],
    // the compute engine: syntax our parser does not take, and the imaginary unit
    ["\\sum_{k=1}^{10} k", "55", true],
    ["\\sum_{k=1}^{10} k", "56", false],
    ["e^{i\\pi}", "-1", true],
    ["e^{i\\pi}", "1", false],
    ["i^2", "-1", true],
    // no real sample point: the engine compares complex values
    ["\\sqrt{-x^2-1}", "i\\sqrt{x^2+1}", true],
    ["\\ln(-x^2-1)", "\\ln(-x^2-2)", false],
];

describe("expressions", () => {
    it.each(rows)("gold %j, pred %j → %s", (gold, pred, expected) => {
        expect(verifyMath(gold, pred)).toBe(expected);
    });

    it("says whether sampling, numeric evaluation or the engine decided", () => {
        expect(verifyMathDetailed("(x+1)^2", "x^2+2x+1").reason).toBe("sample-equal");
        expect(verifyMathDetailed("\\sqrt{8}", "2\\sqrt{2}").reason).toBe("numeric-equal");
        const engine = verifyMathDetailed("\\sum_{k=1}^{10} k", "55");
        expect(engine.correct).toBe(true);
        expect(["numeric-equal", "symbolic-equal"]).toContain(engine.reason);
    });

    it("gives a counter-example point when sampling finds a difference", () => {
        const detail = verifyMathDetailed("(x+1)^2", "x^2+1");
        expect(detail.reason).toBe("mismatch");
        expect(detail.message).toMatch(/^at x=/);
    });

    it("does not leak engine state from one item into the next", () => {
        // x_{1} makes the engine declare x as indexable; later items must not see that.
        verifyMath("\\sum_{k=1}^{3} x_{k}", "x_1+x_2+x_3");
        expect(verifyMath("\\sum_{k=1}^{4} k", "10")).toBe(true);
        expect(verifyMath("2x", "x+x")).toBe(true);
    });
});
