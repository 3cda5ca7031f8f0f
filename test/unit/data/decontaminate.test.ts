import { describe, expect, it } from "vitest";
import { buildEvalIndex, decontaminate, EvalNgramIndex } from "../../../src/data/curation/decontaminate.js";
import { DataReport, type DatasetRow } from "../../../src/data/readers/dataReport.js";

async function* from(rows: DatasetRow[]): AsyncGenerator<DatasetRow> {
    yield* rows;
}
async function collect(it: AsyncIterable<DatasetRow>): Promise<DatasetRow[]> {
    const out: DatasetRow[] = [];
    for await (const x of it) out.push(x);
    return out;
}

const aime = "Find the number of ordered pairs of positive integers such that their product is 2024.";

describe("EvalNgramIndex", () => {
    it("matches a shared 8-gram regardless of case and spacing, and nothing shorter", () => {
        const index = new EvalNgramIndex();
        index.add(aime, { file: "aime.jsonl", line: 3 });
        const eight = "Hint:  FIND the number of ordered pairs of positive integers here";
        expect(index.find(eight)).toEqual({ ngram: "find the number of ordered pairs of positive", evalSource: { file: "aime.jsonl", line: 3 } });
        const seven = "find the number of ordered pairs of apples"; // 7 shared words, then a different one
        expect(index.find(seven)).toBeNull();
        expect(index.size).toBe(15 - 8 + 1);
    });

    it("respects ngram and counts evaluation rows too short to match", () => {
        const index = new EvalNgramIndex({ ngram: 3 });
        index.add("a b", { file: "e", line: 1 });
        index.add("one two three four", { file: "e", line: 2 });
        expect(index.shortRows).toBe(1);
        expect(index.find("zero two three four five")?.ngram).toBe("two three four");
        expect(() => new EvalNgramIndex({ ngram: 0 })).toThrow("ngram must be a positive integer");
    });
});

describe("decontaminate", () => {
    it("drops contaminated training rows with the eval location, and notes short eval rows", async () => {
        const report = new DataReport();
        const evalRows: DatasetRow[] = [
            { row: { problem: aime }, source: { file: "aime.jsonl", line: 1 } },
            { row: { problem: "What is 1+1?" }, source: { file: "aime.jsonl", line: 2 } },
            { row: { question: "x" }, source: { file: "aime.jsonl", line: 3 } },
        ];
        const index = await buildEvalIndex(from(evalRows), report);
        expect(report.badFor('evaluation row: no text in column "problem"')?.examples).toEqual([{ file: "aime.jsonl", line: 3 }]);
        const train: DatasetRow[] = [
            { row: { prompt: "Compute 3 + 4." }, source: { file: "train.jsonl", line: 1 } },
            { row: { prompt: `Problem: ${aime.toUpperCase()}` }, source: { file: "train.jsonl", line: 2 } },
            { row: { prompt: "What is 1+1?" }, source: { file: "train.jsonl", line: 3 } },
        ];
        const kept = await collect(decontaminate(from(train), index, report));
        expect(kept.map((r) => r.source.line)).toEqual([1, 3]);
        const dropped = report.droppedFor("contaminated")!;
        expect(dropped.examples).toEqual([{ file: "train.jsonl", line: 2 }]);
        expect(dropped.firstDetail).toBe('train.jsonl:2 shares "find the number of ordered pairs of positive" with aime.jsonl:1');
        expect(report.notes).toEqual(["1 of 2 evaluation rows have fewer than 8 words and cannot be matched"]);
    });
});
