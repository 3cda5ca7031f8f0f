/** String normalisation of extracted answers (spaces are ignored in these comparisons). */
import { describe, expect, it } from "vitest";
import { normalizeAnswer } from "../../../src/verify/index.js";

const squeeze = (s: string) => s.replace(/\s+/g, "");
const normalized = (s: string) => normalizeAnswer(s).candidates.map(squeeze);

const rows: [input: string, expected: string[]][] = [
    ["\\dfrac{1}{2}", ["\\frac{1}{2}"]],
    ["\\tfrac{1}{2}", ["\\frac{1}{2}"]],
    ["\\left( 1, 2 \\right)", ["(1,2)"]],
    ["\\displaystyle \\frac{1}{2}", ["\\frac{1}{2}"]],
    ["1,000,000", ["1000000"]],
    ["(1,000, 2)", ["(1,000,2)"]],
    ["1\\,000", ["1000"]],
    ["1{,}000", ["1000"]],
    ["1{,}5", ["1.5"]],
    ["3,5", ["3.5", "3,5"]],
    ["0,500", ["0.500", "0,500"]],
    ["50\\%", ["50%"]],
    ["40 percent", ["40%"]],
    ["30^\\circ", ["30°"]],
    ["30^{\\circ}", ["30°"]],
    ["30 degrees", ["30°"]],
    ["\\$12.50", ["12.50"]],
    ["USD 7", ["7"]],
    ["12 \\text{cm}", ["12"]],
    ["12\\text{ cm}^2", ["12"]],
    ["5\\mathrm{m}", ["5"]],
    ["9 square units", ["9"]],
    ["7 apples", ["7"]],
    ["x = 3.", ["x=3"]],
    ["5!", ["5!"]],
    ["2\\frac{1}{2}", ["(2+\\frac{1}{2})"]],
    ["3 1/4", ["(3+\\frac{1}{4})"]],
    ["2\\frac{3}{2}", ["2\\frac{3}{2}"]],
    ["\u22125", ["-5"]],
    ["\\text{Monday}", ["Monday"]],
    ["$5$", ["5"]],
    ["\\mathbb{R}", ["(-\\infty,\\infty)"]],
    ["\\varnothing", ["\\emptyset"]],
    ["x \\text{ or } y", ["xory"]],
    ["\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", ["\\begin{pmatrix}1\\\\2\\end{pmatrix}"]],
    ["\\sqrt{2}\\,\\pi", ["\\sqrt{2}\\pi"]],
];

describe("normalizeAnswer", () => {
    it.each(rows)("%j → %j", (input, expected) => {
        expect(normalized(input)).toEqual(expected);
    });

    it("offers the decimal-comma reading only when asked", () => {
        expect(normalizeAnswer("3,5", { decimalComma: false }).candidates).toEqual(["3,5"]);
    });
});
