/** Text answers (case and spacing do not matter) and multiple-choice letters. */
import { describe, expect, it } from "vitest";
import { verifyMath, verifyMathDetailed } from "../../../src/verify/index.js";

type Row = [gold: string, pred: string, expected: boolean];

const rows: Row[] = [
    ["Monday", "monday", true],
    ["\\text{Monday}", "Monday", true],
    ["no solution", "No   Solution", true],
    ["yes", "\\text{Yes}", true],
    ["even", "Even", true],
    ["John", "The answer is John.", true],
    ["\\text{north east}", "North East", true],
    ["C", "(C)", true],
    ["(B)", "B", true],
    ["A", "\\boxed{A}", true],
    ["\\text{(D)}", "D", true],
    ["E", "\\boxed{\\text{(E)}}", true],
    ["Monday", "Tuesday", false],
    ["yes", "no", false],
    ["C", "D", false],
    ["(A)", "B", false],
    ["even", "odd", false],
    ["Monday", "5", false],
    ["5", "Monday", false],
    ["no solution", "x = 2", false],
];

describe("text and choices", () => {
    it.each(rows)("gold %j, pred %j → %s", (gold, pred, expected) => {
        expect(verifyMath(gold, pred)).toBe(expected);
    });

    it("names text and choice verdicts", () => {
        expect(verifyMathDetailed("Monday", "monday").reason).toBe("text-equal");
        expect(verifyMathDetailed("C", "(C)").reason).toBe("choice-equal");
    });
});
