/**
 * Adversarial inputs: every verification answers false within the time bound (default 1 s)
 * instead of hanging or exhausting memory. Elapsed time is measured around each call.
 */
import { describe, expect, it } from "vitest";
import { verifyMathDetailed, type VerifyOptions, type VerifyReason } from "../../../src/verify/index.js";

const boundMs = 1000;
// Wall-clock slack for a loaded shared machine; the verdicts themselves take milliseconds.
const slackMs = 750;

function nestedFractions(depth: number): string {
    return `${"\\frac{1}{1+".repeat(depth)}1${"}".repeat(depth)}`;
}

type Case = [name: string, gold: string, pred: string, reasons: VerifyReason[], options?: VerifyOptions];

const cases: Case[] = [
    ["a power tower 10^{10^{10}}", "1", "10^{10^{10}}", ["input-too-large"]],
    ["two different power towers", "10^{10^{10}}", "10^{10^{11}}", ["input-too-large"]],
    ["2^2^2^2^2^2", "2", "2^{2^{2^{2^{2^{2}}}}}", ["input-too-large"]],
    ["a plain-text tower", "1", "(10^10)^(10^10)", ["input-too-large"]],
    ["a ten-million-digit power", "1", "10^{10000000}", ["input-too-large"]],
    ["a huge factorial", "1", "1000000!", ["input-too-large"]],
    ["a billion-term sum", "1", "\\sum_{k=1}^{10^{9}} k", ["input-too-large"]],
    ["an infinite sum", "1", "\\sum_{k=1}^{\\infty} k", ["input-too-large"]],
    ["a sum to a symbolic bound", "\\frac{n(n+1)}{2}", "\\sum_{k=1}^{n} k", ["input-too-large"]],
    ["a product to a symbolic bound", "n!", "\\prod_{k=1}^{n} k", ["input-too-large"]],
    ["a million-term double sum", "1", "\\sum_{k=1}^{999} \\sum_{j=1}^{999} jk", ["input-too-large"]],
    ["a sum from minus a billion", "1", "\\sum_{k=-10^{9}}^{5} k", ["input-too-large"]],
    ["a limit", "1", "\\lim_{x \\to 0} \\frac{\\sin x}{x}", ["undecidable"]],
    ["an integral", "\\frac12", "\\int_0^1 x\\,dx", ["undecidable"]],
    ["x^x^x^x^x against y", "y", "x^{x^{x^{x^{x}}}}", ["mismatch", "input-too-large"]],
    ["(x+1)^1000 against x", "x", "(x+1)^{1000}", ["mismatch", "input-too-large", "undecidable"]],
    ["3000 nested fractions", "1", `\\boxed{${nestedFractions(3000)}}`, ["input-too-large"]],
    ["3000 nested fractions, answer cap lifted", "1", `\\boxed{${nestedFractions(3000)}}`, ["input-too-large"], { maxAnswerChars: 1_000_000 }],
    ["5000 nested parentheses", "1", `\\boxed{${"(".repeat(5000)}1${")".repeat(5000)}}`, ["input-too-large"], { maxAnswerChars: 1_000_000 }],
    ["5000 unary minus signs", "1", `\\boxed{${"-".repeat(5000)}1}`, ["input-too-large"], { maxAnswerChars: 1_000_000 }],
    ["100k letters", "2", "a".repeat(100_000), ["no-answer-extracted"]],
    ["100k characters of 1+1+…", "2", `${"1+".repeat(50_000)}1`, ["mismatch", "input-too-large"]],
    ["100k characters inside \\boxed", "2", `\\boxed{${"x+".repeat(50_000)}x}`, ["input-too-large"]],
    ["100k nested braces inside \\boxed", "2", `\\boxed{${"{".repeat(50_000)}${"}".repeat(50_000)}}`, ["input-too-large"]],
    ["a 100k-digit number", "2", "9".repeat(100_000), ["input-too-large"]],
    ["100k dollar signs", "2", "$".repeat(100_000), ["no-answer-extracted", "mismatch", "input-too-large"]],
    ["30k unbalanced \\frac{", "2", "\\frac{".repeat(30_000), ["no-answer-extracted", "mismatch", "input-too-large"]],
    ["20k unclosed \\boxed{", "2", "\\boxed{".repeat(20_000), ["no-answer-extracted", "mismatch", "input-too-large"]],
    ["a 300k-character gold", "1".repeat(300_000), "1", ["input-too-large"]],
    ["a set of 10k elements", "\\{1\\}", `\\{${Array.from({ length: 10_000 }, (_, i) => i).join(",")}\\}`, ["input-too-large", "mismatch"], { maxAnswerChars: 1_000_000 }],
    ["two sets of 3k elements", `\\{${Array.from({ length: 3000 }, (_, i) => i).join(",")}\\}`, `\\{${Array.from({ length: 3000 }, (_, i) => 3000 - i).join(",")}\\}`, ["input-too-large"], { maxAnswerChars: 1_000_000 }],
    ["a tuple of 3k pairs", "(1)", `(${Array.from({ length: 3000 }, (_, i) => `(${i},${i})`).join(",")})`, ["input-too-large", "mismatch"], { maxAnswerChars: 1_000_000 }],
    ["a 2000-term sum against a different one", "x", `${"x+".repeat(700)}1`, ["mismatch"]],
    // The engine's LaTeX parser backtracks exponentially on these; they must never reach it.
    ["mismatched brackets", "1", "[[[[[[[[1))))))))", ["undecidable", "mismatch", "input-too-large"]],
    ["sixteen unclosed parentheses", "1", "((((((((((((((((", ["undecidable", "mismatch", "input-too-large"]],
    ["eight nested square brackets", "1", "[[[[[[[[1]]]]]]]]+\\Gamma", ["undecidable", "mismatch", "input-too-large"]],
    ["bracket junk on both sides", "and(\\left(\\} $1,000\\infty\\le |\\binom\\left( \\frac=[or\\end{pmatrix}\\left( ", "%^ =1,000$\\}1,000 ", ["undecidable", "mismatch", "no-gold-extracted", "no-answer-extracted"]],
    // Outside the real domain everywhere, so the engine decides; simplify() would expand the
    // 50th power for minutes, and two overflowing values must not count as equal.
    ["a 50th power of a sum outside the real domain", "\\sqrt{-x^{2}-1}\\cdot(x+y+z)^{50}", "\\sqrt{-x^2-1}\\cdot(x+y+z+1)^{50}", ["mismatch", "undecidable"]],
    ["two values that overflow", "\\sqrt{-(x+1)^{999}-(y+3)^{999}-1}", "\\sqrt{-(x+2)^{998}-1}", ["mismatch", "undecidable"]],
    ["unknown LaTeX with a power tower", "1", "\\underbrace{10^{10^{10}}}_{n}", ["input-too-large", "mismatch", "undecidable"]],
];

describe("adversarial inputs", () => {
    it.each(cases)("%s: false within the bound", (_name, gold, pred, reasons, options) => {
        const t0 = performance.now();
        const detail = verifyMathDetailed(gold, pred, options);
        const elapsed = performance.now() - t0;
        expect(detail.correct).toBe(false);
        expect(reasons).toContain(detail.reason);
        expect(elapsed).toBeLessThan(boundMs + slackMs);
    });

    it("honours a shorter configured bound", () => {
        const t0 = performance.now();
        const detail = verifyMathDetailed("x+1", "1+x", { timeoutMs: 1e-6 });
        expect(performance.now() - t0).toBeLessThan(100 + slackMs);
        expect(detail).toMatchObject({ correct: false, reason: "timeout" });
    });
});
