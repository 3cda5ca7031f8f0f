import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DataReport, formatSource, openDataset, type DatasetRow } from "../../../src/data/readers/index.js";
import { fixtures, useTempDir, writeJsonl, writeText } from "./tempDir.js";

const temp = useTempDir("open");

async function collect(it: AsyncIterable<DatasetRow>): Promise<DatasetRow[]> {
    const out: DatasetRow[] = [];
    for await (const x of it) out.push(x);
    return out;
}

describe("openDataset on JSONL", () => {
    it("maps columns and reports bad rows with their line numbers", async () => {
        const file = writeJsonl(temp("train.jsonl"), [
            { problem: "1+1?", solution: "2", extra: true },
            "not json",
            { problem: "2+2?" },
            [1, 2],
            { problem: "3+3?", solution: "6" },
            { problem: null, solution: "0" },
        ]);
        const data = openDataset(file, { columns: { prompt: "problem", answer: "solution" } });
        const rows = await collect(data);
        expect(rows).toEqual([
            { row: { prompt: "1+1?", answer: "2" }, source: { file, line: 1 } },
            { row: { prompt: "3+3?", answer: "6" }, source: { file, line: 5 } },
        ]);
        const report = data.report;
        expect(report.rowsIn).toBe(6);
        expect(report.badCount).toBe(4);
        expect(report.badFor('missing column "solution"')?.examples).toEqual([{ file, line: 3 }]);
        expect(report.badFor('missing column "problem"')?.examples).toEqual([{ file, line: 6 }]);
        expect(report.badFor("not valid JSON")?.examples).toEqual([{ file, line: 2 }]);
        expect(report.badFor("not a JSON object")?.count).toBe(1);
        const text = report.format();
        expect(text).toContain(`not valid JSON: 1 (${file}:2)`);
        expect(text).toContain("rows in: 6, out: 0, bad: 4, dropped: 0");
    });

    it("keeps the other columns when asked, and reads nested paths", async () => {
        const file = writeJsonl(temp("nested.jsonl"), [{ q: "x", reward_model: { ground_truth: "7" }, id: 3 }]);
        const [only] = await collect(openDataset(file, { columns: { prompt: "q", answer: "reward_model.ground_truth" }, keepOtherColumns: true }));
        expect(only!.row).toEqual({ reward_model: { ground_truth: "7" }, id: 3, prompt: "x", answer: "7" });
        const [plain] = await collect(openDataset(file));
        expect(plain!.row).toEqual({ q: "x", reward_model: { ground_truth: "7" }, id: 3 });
    });

    it("rejects a bad column spec and a missing path", () => {
        expect(() => openDataset("x.jsonl", { columns: { prompt: "" } })).toThrow("columns.prompt must name an input column");
        expect(() => openDataset("x.jsonl", { columns: [] })).toThrow("columns is empty");
        return expect(collect(openDataset(temp("absent.jsonl")))).rejects.toThrow("no such file or dataset folder");
    });
});

describe("openDataset on Parquet", () => {
    it("reads a Parquet file, decodes only mapped columns and reports null cells by row index", async () => {
        const file = join(fixtures, "math.parquet");
        const report = new DataReport();
        const rows = await collect(openDataset(file, { columns: { prompt: "problem", answer: "solution" }, report }));
        expect(rows.length).toBe(9);
        expect(rows[0]).toEqual({ row: { prompt: "What is 2 + 3?", answer: "\\boxed{5}" }, source: { file, rowIndex: 0 } });
        expect(rows.map((r) => r.source.rowIndex)).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9]);
        expect(report.badFor('missing column "problem"')?.examples).toEqual([{ file, rowIndex: 5 }]);
        expect(formatSource({ file, rowIndex: 5 })).toBe(`${file}#5`);
        await expect(collect(openDataset(file, { columns: ["question"] }))).rejects.toThrow('no column "question"');
    });

    it("reads one split of a Hugging Face folder across its shards", async () => {
        const folder = join(fixtures, "hf-math");
        const train = openDataset(folder, { split: "train", columns: { prompt: "problem", answer: "answer" } });
        const rows = await collect(train);
        expect(rows.map((r) => r.row.prompt)).toEqual(["train a0", "train a1", "train a2", "train b0", "train b1"]);
        expect(rows[3]!.source).toEqual({ file: join(folder, "data", "train-00001-of-00002.parquet"), rowIndex: 0 });
        expect(train.report.files.length).toBe(2);
        const test = await collect(openDataset(folder, { split: "test" }));
        expect(test.map((r) => r.row)).toEqual([{ problem: "test c0", answer: "6" }, { problem: "test c1", answer: "7" }]);
        await expect(collect(openDataset(folder))).rejects.toThrow("choose one (split option)");
    });

    it("reads a JSONL dataset folder and a file without an extension when the format is given", async () => {
        const root = temp("hfjsonl");
        writeJsonl(join(root, "train.jsonl"), [{ q: "a" }]);
        writeJsonl(join(root, "test.jsonl"), [{ q: "b" }]);
        expect((await collect(openDataset(root, { split: "test" }))).map((r) => r.row.q)).toEqual(["b"]);
        const raw = writeText(temp("rows.data"), '{"q":"c"}\n');
        await expect(collect(openDataset(raw))).rejects.toThrow("unknown data format");
        expect((await collect(openDataset(raw, { format: "jsonl" }))).map((r) => r.row.q)).toEqual(["c"]);
    });
});
