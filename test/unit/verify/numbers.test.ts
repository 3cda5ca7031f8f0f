/** Numbers: integers, decimals, fractions, percent, scientific notation, formatting, units. */
import { describe, expect, it } from "vitest";
import { verifyMath, verifyMathDetailed } from "../../../src/verify/index.js";

type Row = [gold: string, pred: string, expected: boolean];

const correct: Row[] = [
    ["42", "42", true],
    ["42", "\\boxed{42}", true],
    ["42", "The answer is 42.", true],
    ["-7", "-7", true],
    ["-7", "\u22127", true],
    ["3.5", "3.50", true],
    ["100", "100.00", true],
    ["0", "0.0", true],
    ["0", "-0", true],
    ["0.5", "\\frac{1}{2}", true],
    ["\\frac{1}{2}", "0.5", true],
    ["\\frac{3}{4}", "0.75", true],
    ["\\frac{2}{3}", "0.6666667", true],
    ["1/3", "\\frac{2}{6}", true],
    ["\\dfrac{5}{8}", "\\tfrac{5}{8}", true],
    ["\\frac12", "0.5", true],
    ["-\\frac{1}{4}", "-0.25", true],
    ["\\frac{-1}{4}", "-\\frac{1}{4}", true],
    ["1000000", "1,000,000", true],
    ["1234567", "1{,}234{,}567", true],
    ["5000", "5\\,000", true],
    ["1,000", "1000", true],
    ["12 345", "12345", true],
    ["3.14", "3,14", true],
    ["3,5", "5, 3", true],
    ["0.5", "0,5", true],
    ["50\\%", "0.5", true],
    ["50\\%", "50", true],
    ["25%", "\\frac{1}{4}", true],
    ["12.5\\%", "12.5", true],
    ["0.125", "12.5\\%", true],
    ["40", "40 percent", true],
    ["3 \\times 10^{8}", "300000000", true],
    ["3e8", "3\\times 10^8", true],
    ["1.5 \\cdot 10^{-3}", "0.0015", true],
    ["6.02\\times10^{23}", "6.02e23", true],
    ["2.5E-4", "0.00025", true],
    ["2\\frac{1}{2}", "\\frac{5}{2}", true],
    ["3 1/4", "3.25", true],
    ["-1\\frac{1}{2}", "-1.5", true],
    ["\\$5", "5", true],
    ["\\$1,250", "1250", true],
    ["18", "\\$18.00", true],
    ["12", "12 \\text{ cm}", true],
    ["12\\text{ cm}^2", "12", true],
    ["7", "7 apples", true],
    ["5", "5 \\mathrm{m}", true],
    ["60", "60 mph", true],
    ["45", "45 degrees", true],
    ["90^\\circ", "90", true],
    ["90", "90^{\\circ}", true],
    ["30^\\circ", "\\frac{\\pi}{6}", true],
    ["180\u00b0", "\\pi", true],
    ["1.0000001", "1", true],
    ["10", "x = 10", true],
    ["10", "n=10", true],
    ["\\boxed{10}", "10", true],
    ["Janet sells 16 - 3 - 4 = 9 eggs, making 9 * 2 = 18 dollars.\n#### 18", "18", true],
    ["2", "\\sqrt{4}", true],
    ["12345678901234567890", "12345678901234567890", true],
];

const incorrect: Row[] = [
    ["42", "43", false],
    ["42", "-42", false],
    ["0.5", "0.51", false],
    ["\\frac{1}{3}", "0.33", false],
    ["1000001", "1000000", false],
    ["12345678901234567890", "12345678901234567891", false],
    ["50\\%", "0.05", false],
    ["3.14", "3.1", false],
    ["1/2", "2/1", false],
    ["3e8", "3e9", false],
    ["2\\frac{1}{2}", "1", false],
    ["-1.5", "1.5", false],
    ["7", "77", false],
    ["12", "12.5", false],
    ["90^\\circ", "45^\\circ", false],
    ["30^\\circ", "\\frac{\\pi}{3}", false],
    ["1.001", "1", false],
    ["5", "x = 6", false],
    ["10", "no answer", false],
    ["0", "0.001", false],
    ["1,000", "1", false],
    ["\\frac{5}{2}", "\\frac{2}{5}", false],
    ["100", "$100.01", false],
    ["25%", "0.4", false],
    // A gold "3,5" is two answers; only a prediction's "3,5" may be a decimal comma.
    ["3,5", "3.5", false],
];

describe("numbers", () => {
    it.each([...correct, ...incorrect])("gold %j, pred %j → %s", (gold, pred, expected) => {
        expect(verifyMath(gold, pred)).toBe(expected);
    });

    it("names the way numbers were found equal", () => {
        expect(verifyMathDetailed("\\frac{1}{2}", "0.5").reason).toBe("numeric-equal");
        expect(verifyMathDetailed("1,000", "1000").reason).toBe("exact-match");
        expect(verifyMathDetailed("42", "43").reason).toBe("mismatch");
    });

    it("compares integers exactly, beyond float precision and tolerance", () => {
        // 2^53 + 1 and 2^53 are the same float64, and 1e-6 relative apart is within tolerance.
        expect(verifyMath("9007199254740993", "9007199254740992")).toBe(false);
        expect(verifyMath("9007199254740993", "9007199254740993")).toBe(true);
    });
});
