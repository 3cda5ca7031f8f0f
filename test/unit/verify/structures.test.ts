/** Intervals, sets, several answers, tuples, matrices, equations and inequalities. */
import { describe, expect, it } from "vitest";
import { verifyMath, verifyMathDetailed } from "../../../src/verify/index.js";

type Row = [gold: string, pred: string, expected: boolean];

const intervals: Row[] = [
    ["[1, 2)", "[1,2)", true],
    ["(-\\infty, 3]", "(-\\infty,3]", true],
    ["(0, \\infty)", "(0,\\infty)", true],
    ["[0, \\pi]", "[0, 3.14159265]", true],
    ["\\left[ 1, 2 \\right)", "[1,2)", true],
    ["x > 3", "(3, \\infty)", true],
    ["(3,\\infty)", "x>3", true],
    ["2 < x \\le 5", "(2, 5]", true],
    ["(2,5]", "5 \\ge x > 2", true],
    ["[-1, 1]", "-1 \\le x \\le 1", true],
    ["x \\in [1, 2]", "[1,2]", true],
    ["(-\\infty, 1) \\cup (2, \\infty)", "(2,\\infty)\\cup(-\\infty,1)", true],
    ["\\mathbb{R}", "(-\\infty, \\infty)", true],
    ["[\\frac12, 3)", "[0.5, 3)", true],
    ["[1, 2)", "[1, 2]", false],
    ["[1,2)", "(1,2)", false],
    ["(1, 2]", "(1,2)", false],
    ["[1,2]", "[1,3]", false],
    ["(-\\infty, 3]", "(-\\infty, 3)", false],
    ["x > 3", "x \\ge 3", false],
    ["x>3", "[3,\\infty)", false],
    ["(0,1)\\cup(2,3)", "(0,1)", false],
    ["[1,2]", "\\{1,2\\}", false],
    ["2 < x < 5", "(2, 6)", false],
];

const sets: Row[] = [
    ["\\{1,2,3\\}", "\\{3,1,2\\}", true],
    ["\\{1, 2\\}", "2, 1", true],
    ["1, 2", "2, 1", true],
    ["\\{\\frac12, 2\\}", "\\{2, 0.5\\}", true],
    ["\\emptyset", "\\varnothing", true],
    ["\\emptyset", "\\{\\}", true],
    ["x = 1, x = 2", "\\{1, 2\\}", true],
    ["x=1 \\text{ or } x=2", "2, 1", true],
    ["1 \\pm \\sqrt{2}", "1-\\sqrt2, 1+\\sqrt2", true],
    ["\\pm 3", "3, -3", true],
    ["x = \\pm 2", "2, -2", true],
    ["\\{(1,2), (3,4)\\}", "\\{(3,4),(1,2)\\}", true],
    ["3, 5", "5 and 3", true],
    ["\\{5\\}", "5", true],
    ["\\{1,2,3\\}", "\\{1,2\\}", false],
    ["\\{1,2\\}", "\\{1,3\\}", false],
    ["1, 2", "1, 2, 3", false],
    ["\\{(1,2)\\}", "\\{(2,1)\\}", false],
    ["1 \\pm \\sqrt{2}", "1+\\sqrt{2}", false],
    ["\\emptyset", "\\{0\\}", false],
    ["\\{1,2\\}", "(1,2)", false],
    ["3, 5", "3, 6", false],
];

const tuples: Row[] = [
    ["(1, 2)", "(1,2)", true],
    ["(1, -2, 3)", "(1,-2,3)", true],
    ["(\\frac12, \\sqrt{2})", "(0.5, \\sqrt 2)", true],
    ["(1,2)", "1, 2", true],
    ["(3, 4)", "\\left( 3, 4 \\right)", true],
    ["(1, 2)", "(2, 1)", false],
    ["(1,2,3)", "(1,2)", false],
    ["(1,2)", "(1,2,3)", false],
    ["(1,2)", "\\{1,2\\}", false],
    ["(1, 2)", "(1, 2.5)", false],
];

const matrices: Row[] = [
    ["\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}", true],
    ["\\begin{pmatrix}\\frac12 & 0\\\\0&1\\end{pmatrix}", "\\begin{pmatrix}0.5&0\\\\0&1\\end{pmatrix}", true],
    ["\\begin{pmatrix}1\\\\2\\\\3\\end{pmatrix}", "(1,2,3)", true],
    ["\\begin{matrix}1&2\\end{matrix}", "\\begin{pmatrix}1&2\\end{pmatrix}", true],
    ["\\begin{pmatrix}x&1\\\\0&x\\end{pmatrix}", "\\begin{pmatrix}x&1\\\\0&x\\end{pmatrix}", true],
    ["\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\begin{pmatrix}1&3\\\\2&4\\end{pmatrix}", false],
    ["\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\begin{pmatrix}1&2&3&4\\end{pmatrix}", false],
    ["\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\begin{pmatrix}1&2\\\\3&5\\end{pmatrix}", false],
    ["\\begin{pmatrix}1\\\\2\\end{pmatrix}", "(2,1)", false],
];

const relations: Row[] = [
    ["y = 2x + 1", "2x+1=y", true],
    ["y = 2x+1", "y - 2x - 1 = 0", true],
    ["x + y = 1", "2x + 2y = 2", true],
    ["x^2 + y^2 = 1", "y^2 + x^2 = 1", true],
    ["x < 3", "3 > x", true],
    ["x \\le 3", "x <= 3", true],
    ["2x < 6", "x < 3", true],
    ["x \\ne 2", "x \\neq 2", true],
    ["y = x^2", "x^2 = y", true],
    ["f(x) = 2x+1", "2x+1", true],
    ["x = 3", "3", true],
    ["3", "x=3", true],
    ["k = 5", "k=5", true],
    ["y = 2x + 1", "y = 2x - 1", false],
    ["x < 3", "x > 3", false],
    ["x < 3", "x \\le 3", false],
    ["2x < 6", "-2x < -6", false],
    ["x + y = 1", "x - y = 1", false],
    ["x = 3", "4", false],
    ["y = x^2", "y = x^3", false],
    ["x \\ne 2", "x = 2", false],
    ["1 < x < 2", "1 < x \\le 2", false],
];

describe("structures", () => {
    describe("intervals", () => {
        it.each(intervals)("gold %j, pred %j → %s", (gold, pred, expected) => {
            expect(verifyMath(gold, pred)).toBe(expected);
        });
    });
    describe("sets and several answers", () => {
        it.each(sets)("gold %j, pred %j → %s", (gold, pred, expected) => {
            expect(verifyMath(gold, pred)).toBe(expected);
        });
    });
    describe("tuples", () => {
        it.each(tuples)("gold %j, pred %j → %s", (gold, pred, expected) => {
            expect(verifyMath(gold, pred)).toBe(expected);
        });
    });
    describe("matrices", () => {
        it.each(matrices)("gold %j, pred %j → %s", (gold, pred, expected) => {
            expect(verifyMath(gold, pred)).toBe(expected);
        });
    });
    describe("equations and inequalities", () => {
        it.each(relations)("gold %j, pred %j → %s", (gold, pred, expected) => {
            expect(verifyMath(gold, pred)).toBe(expected);
        });
    });

    it("reports the structure that matched and why one did not", () => {
        expect(verifyMathDetailed("[1,2)", "[1,2)").reason).toBe("exact-match");
        expect(verifyMathDetailed("[1,2)", "[1, 2.0)").reason).toBe("interval-equal");
        expect(verifyMathDetailed("\\{1,2\\}", "\\{2,1\\}").reason).toBe("set-equal");
        expect(verifyMathDetailed("(1,2)", "(1, 2.0)").reason).toBe("tuple-equal");
        expect(verifyMathDetailed("y=2x+1", "2x+1=y").reason).toBe("relation-equal");
        const kind = verifyMathDetailed("[1,2)", "[1,2]");
        expect(kind.correct).toBe(false);
        expect(kind.message).toMatch(/open\/closed/);
    });
});
