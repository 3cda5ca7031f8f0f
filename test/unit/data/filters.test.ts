import { describe, expect, it } from "vitest";
import { filterRows, hasAnswer, languageRatio, lengthCheck } from "../../../src/data/curation/filters.js";
import { DataReport, type DatasetRow } from "../../../src/data/readers/dataReport.js";

async function run(rows: Record<string, unknown>[], options: Parameters<typeof filterRows>[2]): Promise<{ kept: number[]; report: DataReport }> {
    const report = new DataReport();
    async function* source(): AsyncGenerator<DatasetRow> {
        for (const [i, row] of rows.entries()) yield { row, source: { file: "f.jsonl", line: i + 1 } };
    }
    const kept: number[] = [];
    for await (const r of filterRows(source(), report, options)) kept.push(r.source.line!);
    return { kept, report };
}

describe("length filter", () => {
    it("counts characters as code points and tokens with the injected counter", () => {
        const check = lengthCheck({ minChars: 2, maxChars: 4 })!;
        expect(check("a")).toEqual({ reason: "too short", detail: "1 characters < 2" });
        expect(check("😀😀😀😀")).toBeNull();
        expect(check("abcde")?.reason).toBe("too long");
        const tokens = lengthCheck({ maxTokens: 3, countTokens: (t) => t.split(" ").length })!;
        expect(tokens("a b c")).toBeNull();
        expect(tokens("a b c d")).toEqual({ reason: "too long", detail: "4 tokens > 3" });
        expect(lengthCheck({})).toBeNull();
        expect(() => lengthCheck({ maxTokens: 3 })).toThrow("need length.countTokens");
        expect(() => lengthCheck({ minChars: -1 })).toThrow("length.minChars must be a non-negative integer");
    });

    it("drops rows by length and reports them", async () => {
        const { kept, report } = await run([{ prompt: "short" }, { prompt: "a long enough prompt" }, { other: 1 }], { length: { minChars: 10 } });
        expect(kept).toEqual([2]);
        expect(report.droppedFor("too short")?.examples).toEqual([{ file: "f.jsonl", line: 1 }]);
        expect(report.badFor('no text in column "prompt"')?.count).toBe(1);
    });
});

describe("language filter", () => {
    it("reuses the script detector of the language reward", () => {
        expect(languageRatio("We add the numbers", "en")).toBe(1);
        expect(languageRatio("我们 add 数字", "en")).toBeCloseTo(1 / 5);
        expect(languageRatio("$x^2 = 4$", "en")).toBeNull();
        expect(() => languageRatio("x", "xx")).toThrow("language must be one of");
    });

    it("keeps rows in the language, and wordless rows unless asked", async () => {
        const rows = [{ prompt: "Compute the sum of the digits." }, { prompt: "计算各位数字之和。" }, { prompt: "2 + 2 = ?" }];
        const en = await run(rows, { language: { language: "en" } });
        expect(en.kept).toEqual([1, 3]);
        expect(en.report.droppedFor("wrong language")?.firstDetail).toBe("0% en < 90%");
        const strict = await run(rows, { language: { language: "zh", keepNoWords: false } });
        expect(strict.kept).toEqual([2]);
        await expect(run(rows, { language: { language: "en", minRatio: 2 } })).rejects.toThrow("minRatio must be in [0, 1]");
    });
});

describe("has-answer filter", () => {
    it("accepts an answer column or a boxed answer", () => {
        expect(hasAnswer({ answer: "42" })).toBe(true);
        expect(hasAnswer({ answer: 0 })).toBe(true);
        expect(hasAnswer({ answer: "  " })).toBe(false);
        expect(hasAnswer({ solution: "so the result is \\boxed{17}." })).toBe(true);
        expect(hasAnswer({ solution: "the result is 17" })).toBe(false);
        expect(hasAnswer({ solution: "\\boxed{}" })).toBe(false);
        expect(hasAnswer({ gold: "x" }, { answerColumn: "gold" })).toBe(true);
        expect(hasAnswer({ text: "\\boxed{1}" }, { boxedColumns: ["text"] })).toBe(true);
    });

    it("drops rows without an answer", async () => {
        const { kept, report } = await run([{ prompt: "a", solution: "\\boxed{1}" }, { prompt: "b", solution: "no idea" }, { prompt: "c", answer: "3" }], { requireAnswer: true });
        expect(kept).toEqual([1, 3]);
        expect(report.droppedFor("no answer")?.examples).toEqual([{ file: "f.jsonl", line: 2 }]);
    });
});
