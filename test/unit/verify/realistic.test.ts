/** Answers the way models and datasets write them: prose around the answer, mixed notations. */
import { describe, expect, it } from "vitest";
import { verifyMath } from "../../../src/verify/index.js";

const rows: [gold: string, pred: string, expected: boolean][] = [
    ["3", "The value is x = 3", true],
    ["3", "\\boxed{x=3}", true],
    ["7", "Therefore, $x = \\boxed{7}$", true],
    ["18", "Janet makes $18 every day at the farmers' market.", true],
    ["3", "She pays $5 and gets $3 back", true],
    ["2, 3", "The answer is 2 and 3", true],
    ["2, 3", "x = 2, 3", true],
    ["x = 2, y = 3", "(2, 3)", true],
    ["\\{-1, 1\\}", "x = \\pm 1", true],
    ["(-\\infty,-2)\\cup(2,\\infty)", "x < -2 \\text{ or } x > 2", true],
    ["x \\geq 2", "[2, \\infty)", true],
    ["y=-x+2", "x + y = 2", true],
    ["f(x)=x^2", "x^2", true],
    ["-\\frac{1}{2}", "\\frac{-1}{2}", true],
    ["\\frac{\\sqrt{3}}{2}", "\\frac{\\sqrt3}2", true],
    ["\\frac{9}{4}", "2\\frac{1}{4}", true],
    ["\\dfrac{3}{2}", "1.5", true],
    ["0.5", "1/2.", true],
    ["5", "5.0.", true],
    ["-3", "- 3", true],
    ["0", "\\boxed{0}", true],
    ["144", "12^2", true],
    ["8", "2^3", true],
    ["10\\%", "0.1", true],
    ["\\frac{1}{4}", "25\\%", true],
    ["\\$10", "10 dollars", true],
    ["12", "$12$ dollars", true],
    ["x^2", "x\u00b2", true],
    ["\\pi/2", "90\u00b0", true],
    ["\\cos 60^\\circ", "\\frac12", true],
    ["\\tan^{-1}(1)", "\\frac{\\pi}{4}", true],
    ["\\infty", "\u221e", true],
    ["-\\infty", "-\u221e", true],
    ["\\text{A}", "a", true],
    ["1.2 \\times 10^{-5}", "0.000012", true],
    ["2^{1/2}", "\\sqrt2", true],
    ["\\log_{3} 9", "2", true],
    ["2\\sqrt{5}", "\\sqrt{20}", true],
    ["\\Gamma(5)", "24", true],
    ["12", "\\operatorname{lcm}(4,6)", true],
    ["3", "three", false],
    ["\\infty", "10^{10^{10}}", false],
    ["18", "Janet makes $19 every day.", false],
    ["7", "Therefore, $x = \\boxed{8}$", false],
    ["2, 3", "The answer is 2 and 4", false],
    ["\\{-1, 1\\}", "x = 1", false],
    ["x \\geq 2", "(2, \\infty)", false],
    ["\\frac{9}{4}", "2\\frac{1}{2}", false],
    ["10\\%", "0.01", false],
    ["\\frac{1}{2}", "1/\\boxed{3}", false],
];

describe("realistic answers", () => {
    it.each(rows)("gold %j, pred %j → %s", (gold, pred, expected) => {
        expect(verifyMath(gold, pred)).toBe(expected);
    });
});
