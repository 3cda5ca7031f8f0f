import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseColumnMap, runDataDecontaminate, runDataDedup, runDataFilter, runDataGrade } from "../../../src/cli/commands/data.js";
import { main } from "../../../src/cli/main.js";
import { fixtures, useTempDir, writeJsonl } from "./tempDir.js";

const temp = useTempDir("datacli");

function capture(): { stderr: { write(s: string): boolean }; text: () => string } {
    let text = "";
    return { stderr: { write: (s: string) => ((text += s), true) }, text: () => text };
}
function readRows(file: string): Record<string, unknown>[] {
    return readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>);
}

// 216 words: a one-word change leaves a 5-gram Jaccard of about 0.95, far enough above the 0.8
// threshold that the LSH bands catch it with probability > 0.99 (and deterministically, seed 0).
const long = Array.from({ length: 24 }, (_, i) => `in step ${i + 1} we add ${i + 1} to the running total`).join(", ");
const raw = [
    { problem: `${long} 9. Find n.`, solution: "\\boxed{999}" },
    { problem: `${long.toUpperCase()} 9. Find n.`, solution: "\\boxed{999}" },
    "{broken",
    { problem: `${long} 11. Find n.`, solution: "\\boxed{3999}" },
    { problem: "Compute 2 + 2.", solution: "4" },
    { question: "no problem column" },
];

describe("r1-native data", () => {
    it("dedup: exact then near, with a summary naming dropped and bad lines", async () => {
        const input = writeJsonl(temp("raw.jsonl"), raw);
        const out = temp("dedup.jsonl");
        const io = capture();
        const report = await runDataDedup({ in: input, out, column: ["problem"], report: temp("dedup.report.json") }, io);
        expect(readRows(out).map((r) => r.solution)).toEqual(["\\boxed{999}", "4"]);
        expect(report.rowsIn).toBe(6);
        expect(report.rowsOut).toBe(2);
        const text = io.text();
        expect(text).toContain("rows in: 6, out: 2, bad: 2, dropped: 2");
        expect(text).toContain(`duplicate: 1 (${input}:2)`);
        expect(text).toContain(`near-duplicate: 1 (${input}:4)`);
        expect(text).toContain(`not valid JSON: 1 (${input}:3)`);
        expect(text).toContain(`no text in column "problem": 1 (${input}:6)`);
        const json = JSON.parse(readFileSync(temp("dedup.report.json"), "utf8")) as { step: string; rowsOut: number };
        expect(json).toMatchObject({ step: "dedup", rowsOut: 2 });
        expect(readdirSync(dirname(out)).filter((f) => f.includes(".tmp-"))).toEqual([]);
    });

    it("dedup --method exact keeps near duplicates; --out must differ from --in", async () => {
        const input = writeJsonl(temp("raw2.jsonl"), raw);
        const report = await runDataDedup({ in: input, out: temp("exact.jsonl"), column: ["problem"], method: "exact" }, capture());
        expect(report.rowsOut).toBe(3);
        await expect(runDataDedup({ in: input, out: input, column: ["problem"] }, capture())).rejects.toThrow("--out must differ from --in");
    });

    it("decontaminate against an evaluation file, reading Parquet input with --map", async () => {
        const evalFile = writeJsonl(temp("eval.jsonl"), [{ problem: "How many sides does a hexagon have? Answer with a number please." }]);
        const out = temp("clean.jsonl");
        const io = capture();
        const report = await runDataDecontaminate({ in: join(fixtures, "math.parquet"), out, map: ["prompt=problem"], column: ["prompt"], eval: [evalFile], ngram: 5 }, io);
        const rows = readRows(out);
        expect(rows.length).toBe(8); // 10 rows, 1 with a null problem, 1 contaminated
        expect(rows[0]).toMatchObject({ prompt: "What is 2 + 3?", solution: "\\boxed{5}", id: 1000 });
        expect(report.droppedFor("contaminated")?.examples).toEqual([{ file: join(fixtures, "math.parquet"), rowIndex: 4 }]);
        expect(io.text()).toContain(`missing column "problem": 1 (${join(fixtures, "math.parquet")}#5)`);
        expect(io.text()).toContain("evaluation sets: 1 rows read (0 bad)");
    });

    it("filter by length, language and answer", async () => {
        const input = writeJsonl(temp("f.jsonl"), [
            { prompt: "Compute the sum of two and three.", solution: "\\boxed{5}" },
            { prompt: "计算二加三的和是多少呢？", solution: "\\boxed{5}" },
            { prompt: "Compute the product of two and three.", solution: "six" },
            { prompt: "Hi", solution: "\\boxed{1}" },
        ]);
        const out = temp("filtered.jsonl");
        const report = await runDataFilter({ in: input, out, minChars: 5, language: "en", requireAnswer: true }, capture());
        expect(readRows(out).map((r) => r.prompt)).toEqual(["Compute the sum of two and three."]);
        expect(report.droppedFor("too short")?.examples[0]?.line).toBe(4);
        expect(report.droppedFor("wrong language")?.examples[0]?.line).toBe(2);
        expect(report.droppedFor("no answer")?.examples[0]?.line).toBe(3);
        await expect(runDataFilter({ in: input, out }, capture())).rejects.toThrow("set at least one of");
        await expect(runDataFilter({ in: input, out, maxTokens: 3 }, capture())).rejects.toThrow("need --tokenizer");
    });

    it("grade with an injected pass rate writes difficulty columns", async () => {
        const input = writeJsonl(temp("g.jsonl"), [{ prompt: "a" }, { prompt: "b" }, { prompt: "c" }]);
        const out = temp("graded.jsonl");
        const rates: Record<string, number> = { a: 1, b: 0.5, c: 0 };
        await runDataGrade({ in: input, out }, capture(), async (prompts) => prompts.map((p) => rates[p]!));
        expect(readRows(out).map((r) => [r.prompt, r.difficulty, r.pass_rate])).toEqual([["a", "easy", 1], ["b", "medium", 0.5], ["c", "hard", 0]]);
        await expect(runDataGrade({ in: input, out }, capture())).rejects.toThrow("give --model FOLDER (local) or --base-url URL --remote-model NAME");
    });

    it("parses --map and runs through the command line", async () => {
        expect(parseColumnMap(["prompt=problem", "answer=a=b"])).toEqual({ prompt: "problem", answer: "a=b" });
        expect(() => parseColumnMap(["prompt"])).toThrow("--map takes output=input");
        const input = writeJsonl(temp("cli.jsonl"), [{ q: "same text" }, { q: "same   text" }, { q: "other" }]);
        const out = temp("cli.out.jsonl");
        const write = process.stderr.write;
        process.stderr.write = (() => true) as typeof process.stderr.write;
        try {
            await main(["data", "dedup", "--in", input, "--out", out, "--map", "prompt=q", "--method", "exact"]);
        } finally {
            process.stderr.write = write;
        }
        expect(existsSync(out)).toBe(true);
        expect(readRows(out).map((r) => r.prompt)).toEqual(["same text", "other"]);
    });
});
