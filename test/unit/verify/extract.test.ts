/** Final-answer extraction from free-form output. */
import { describe, expect, it } from "vitest";
import { extractAnswer } from "../../../src/verify/index.js";
import type { ExtractionSource } from "../../../src/verify/types.js";

type Row = [text: string, answer: string | null, source: ExtractionSource];

const predictions: Row[] = [
    ["so the total is \\boxed{42}.", "42", "boxed"],
    ["$\\boxed{\\frac{1}{2}}$", "\\frac{1}{2}", "boxed"],
    ["\\boxed{\\{1, \\frac{\\sqrt{2}}{2}\\}}", "\\{1, \\frac{\\sqrt{2}}{2}\\}", "boxed"],
    ["\\fbox{7}", "7", "boxed"],
    ["first \\boxed{1}, but on reflection \\boxed{2}", "2", "boxed"],
    ["the roots are \\boxed{1} and \\boxed{2}", "1, 2", "boxed"],
    ["\\boxed{1}, \\boxed{2}, \\boxed{3}", "1, 2, 3", "boxed"],
    ["thus \\boxed 5 is it", "5", "boxed"],
    ["draft \\boxed{3} then truncated \\boxed{4", "3", "boxed"],
    ["$\\boxed{\\text{(B)}}$", "\\text{(B)}", "boxed"],
    ["<think>maybe \\boxed{1}</think><answer>2</answer>", "2", "answer-tag"],
    ["<think>…</think>\n<answer>The answer is \\boxed{5}</answer>", "5", "boxed"],
    ["<think>long reasoning</think><answer> 7", "7", "answer-tag"],
    ["<answer>$x = 3$</answer>", "x = 3", "answer-tag"],
    ["The answer is 12.", "12", "answer-phrase"],
    ["The answer is $\\frac{3}{4}$.", "\\frac{3}{4}", "answer-phrase"],
    ["the answer is 3.5. Then we stop.", "3.5", "answer-phrase"],
    ["Final Answer: The final answer is $8$. I hope it is correct.", "8", "final-answer"],
    ["**Final Answer:** 3.5", "3.5", "final-answer"],
    ["Answer: 17", "17", "answer-phrase"],
    ["so she earns 9 * 2 = 18 dollars.\n#### 18", "18", "final-answer"],
    ["we get 5 apples and then 7 pears", "7", "last-number"],
    ["It costs \\$5 and then \\$7 more", "7", "last-number"],
    ["we get 3-5 = -2 in the end", "-2", "last-number"],
    ["the ratio becomes 3/4 after simplifying", "3/4", "last-number"],
    ["so the population is 1,234,567 people", "1,234,567", "last-number"],
    ["...therefore $x = 3$ solves it", "x = 3", "math"],
    ["so we conclude \\[ x^2 + 1 \\] is the minimum", "x^2 + 1", "math"],
    ["hence \\(\\sqrt{2}\\) is irrational", "\\sqrt{2}", "math"],
    ["0.5", "0.5", "whole"],
    ["x^2+1", "x^2+1", "whole"],
    ["$\\frac{\\pi}{2}$", "\\frac{\\pi}{2}", "whole"],
    ["Monday", "Monday", "whole"],
    ["", null, "none"],
    ["no numbers here at all, sorry friend", null, "none"],
];

const golds: Row[] = [
    ["\\frac{1}{2}", "\\frac{1}{2}", "whole"],
    ["The solution gives $x=2$, so the answer is $\\boxed{2}$.", "2", "boxed"],
    ["Janet has 3 ducks and 4 hens.\n#### 7", "7", "final-answer"],
    ["$(1, 2)$", "(1, 2)", "whole"],
    ["north east", "north east", "whole"],
];

describe("extractAnswer", () => {
    it.each(predictions)("prediction %j → %j (%s)", (text, answer, source) => {
        expect(extractAnswer(text, "pred")).toEqual({ answer, source });
    });

    it.each(golds)("gold %j → %j (%s)", (text, answer, source) => {
        expect(extractAnswer(text, "gold")).toEqual({ answer, source });
    });

    it("is linear on long outputs with many boxes and delimiters", () => {
        const text = `${"\\boxed{".repeat(20_000)}${"$x$ ".repeat(20_000)}`;
        const t0 = performance.now();
        extractAnswer(text, "pred");
        expect(performance.now() - t0).toBeLessThan(500);
    });
});
