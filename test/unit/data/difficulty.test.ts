import { describe, expect, it } from "vitest";
import { difficultyOf, gradeDifficulty, type PassRateFn } from "../../../src/data/curation/difficulty.js";
import { DataReport, type DatasetRow } from "../../../src/data/readers/dataReport.js";

function rows(n: number): DatasetRow[] {
    return Array.from({ length: n }, (_, i) => ({ row: { prompt: `p${i}`, answer: String(i) }, source: { file: "g.jsonl", line: i + 1 } }));
}
async function* from(list: DatasetRow[]): AsyncGenerator<DatasetRow> {
    yield* list;
}
async function collect(it: AsyncIterable<DatasetRow>): Promise<DatasetRow[]> {
    const out: DatasetRow[] = [];
    for await (const x of it) out.push(x);
    return out;
}

describe("difficultyOf", () => {
    it("labels by the thresholds", () => {
        expect(difficultyOf(1)).toBe("easy");
        expect(difficultyOf(0.875)).toBe("medium");
        expect(difficultyOf(0)).toBe("hard");
        expect(difficultyOf(0.8, { easyAtLeast: 0.8, hardAtMost: 0.2 })).toBe("easy");
        expect(difficultyOf(0.2, { easyAtLeast: 0.8, hardAtMost: 0.2 })).toBe("hard");
        expect(() => difficultyOf(0.5, { easyAtLeast: 0.3, hardAtMost: 0.5 })).toThrow("must be below easyAtLeast");
        expect(() => difficultyOf(1.5)).toThrow("a pass rate must be in [0, 1]");
    });
});

describe("gradeDifficulty", () => {
    it("grades in batches through the injected pass-rate function and writes the columns", async () => {
        const calls: string[][] = [];
        // pass rate = (i mod 5) / 4 for prompt "p<i>": 0, 0.25, 0.5, 0.75, 1, ...
        const passRate: PassRateFn = async (prompts, rs) => {
            calls.push([...prompts]);
            expect(rs.map((r) => r.prompt)).toEqual(prompts);
            return prompts.map((p) => (Number(p.slice(1)) % 5) / 4);
        };
        const report = new DataReport();
        const input = [...rows(7), { row: { other: 1 }, source: { file: "g.jsonl", line: 8 } }];
        const out = await collect(gradeDifficulty(from(input), report, { passRate, batchSize: 3 }));
        expect(calls.map((c) => c.length)).toEqual([3, 3, 1]);
        expect(out.map((r) => [r.row.prompt, r.row.difficulty, r.row.pass_rate])).toEqual([
            ["p0", "hard", 0],
            ["p1", "medium", 0.25],
            ["p2", "medium", 0.5],
            ["p3", "medium", 0.75],
            ["p4", "easy", 1],
            ["p5", "hard", 0],
            ["p6", "medium", 0.25],
        ]);
        expect(out[0]!.row.answer).toBe("0");
        expect(report.badFor('no text in column "prompt"')?.examples).toEqual([{ file: "g.jsonl", line: 8 }]);
    });

    it("drops levels on request, renames columns, and rejects a bad pass-rate function", async () => {
        const passRate: PassRateFn = async (prompts) => prompts.map((p) => (p === "p0" ? 1 : 0.5));
        const report = new DataReport();
        const out = await collect(gradeDifficulty(from(rows(3)), report, { passRate, drop: ["easy"], difficultyColumn: "level", passRateColumn: null }));
        expect(out.map((r) => r.row)).toEqual([{ prompt: "p1", answer: "1", level: "medium" }, { prompt: "p2", answer: "2", level: "medium" }]);
        expect(report.droppedFor("easy")?.examples).toEqual([{ file: "g.jsonl", line: 1 }]);
        await expect(collect(gradeDifficulty(from(rows(2)), report, { passRate: async () => [1] }))).rejects.toThrow("returned 1 values for 2 prompts");
        await expect(collect(gradeDifficulty(from(rows(2)), report, { passRate: async () => [1, Number.NaN] }))).rejects.toThrow("passRate gave NaN for row 2");
        await expect(collect(gradeDifficulty(from(rows(1)), report, { passRate: async () => [1], batchSize: 0 }))).rejects.toThrow("batchSize must be a positive integer");
    });
});
