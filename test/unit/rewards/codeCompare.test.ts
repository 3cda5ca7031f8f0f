import { describe, expect, it } from "vitest";
import { outputsMatch, valuesMatch } from "../../../src/rewards/code/compareOutput.js";

describe("outputsMatch", () => {
    it("compares whitespace-separated tokens, ignoring spacing and trailing newlines", () => {
        expect(outputsMatch("1 2\n3\n", "1  2 3")).toBe(true);
        expect(outputsMatch("  YES\r\n", "YES")).toBe(true);
        expect(outputsMatch("", "\n")).toBe(true);
        expect(outputsMatch("1 2", "1 2 3")).toBe(false);
        expect(outputsMatch("yes", "YES")).toBe(false);
    });

    it("is exact on numbers unless a tolerance is given", () => {
        expect(outputsMatch("0.3333333", "0.333333333")).toBe(false);
        expect(outputsMatch("0.3333333", "0.333333333", { floatTolerance: 1e-6 })).toBe(true);
        expect(outputsMatch("0.334", "0.333333333", { floatTolerance: 1e-6 })).toBe(false);
        // relative for large values, absolute near zero
        expect(outputsMatch("1000000.5", "1000000.0", { floatTolerance: 1e-6 })).toBe(true);
        expect(outputsMatch("1e-9", "0", { floatTolerance: 1e-6 })).toBe(true);
        expect(outputsMatch("nan", "nan", { floatTolerance: 1e-6 })).toBe(true);
        expect(outputsMatch("abc", "abd", { floatTolerance: 0.5 })).toBe(false);
    });
});

describe("valuesMatch", () => {
    it("compares JSON values deeply", () => {
        expect(valuesMatch([1, [2, { a: "x" }]], [1, [2, { a: "x" }]])).toBe(true);
        expect(valuesMatch({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
        expect(valuesMatch({ a: 1 }, { a: 1, b: 2 })).toBe(false);
        expect(valuesMatch([1, 2], [2, 1])).toBe(false);
        expect(valuesMatch(null, null)).toBe(true);
        expect(valuesMatch(1, true)).toBe(false);
        expect(valuesMatch("1", 1)).toBe(false);
        expect(valuesMatch([], {})).toBe(false);
    });

    it("applies the float tolerance inside structures", () => {
        expect(valuesMatch([0.1 + 0.2], [0.3])).toBe(false);
        expect(valuesMatch([0.1 + 0.2], [0.3], { floatTolerance: 1e-9 })).toBe(true);
        expect(valuesMatch({ x: 2.0001 }, { x: 2 }, { floatTolerance: 1e-6 })).toBe(false);
    });
});
