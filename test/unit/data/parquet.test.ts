import { join } from "node:path";
import { asyncBufferFromFile, type AsyncBuffer } from "hyparquet";
import { describe, expect, it } from "vitest";
import { jsonSafe, parquetColumnNames, parquetRowGroups, readParquet, readParquetMetadata } from "../../../src/data/readers/parquetReader.js";
import { fixtures, useTempDir, writeText } from "./tempDir.js";

const temp = useTempDir("parquet");
const math = join(fixtures, "math.parquet");

describe("readParquet", () => {
    it("reads every row with its 0-based row index, JSON-safe", async () => {
        const rows: { row: Record<string, unknown>; rowIndex: number }[] = [];
        for await (const r of readParquet(math)) rows.push(r);
        expect(rows.map((r) => r.rowIndex)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(rows[0]!.row).toEqual({ id: 1000, problem: "What is 2 + 3?", solution: "\\boxed{5}", level: 1 });
        expect(rows[5]!.row.problem).toBeNull();
        expect(rows[8]!.row.problem).toBe("计算 12 加 30 的和。");
        expect(typeof rows[9]!.row.id).toBe("number");
    });

    it("decodes only the requested columns and rejects an unknown one by name", async () => {
        const first = (await readParquet(math, { columns: ["solution"] }).next()).value;
        expect(first?.row).toEqual({ solution: "\\boxed{5}" });
        await expect(readParquet(math, { columns: ["problem", "nope"] }).next()).rejects.toThrow(
            /math\.parquet: no column "nope" \(the file has "id", "problem", "solution", "level"\)/,
        );
    });

    it("streams: the first row comes before any byte of a later row group is fetched", async () => {
        const inner = await asyncBufferFromFile(math);
        const slices: [number, number][] = [];
        const spy: AsyncBuffer = {
            byteLength: inner.byteLength,
            slice(start: number, end?: number) {
                slices.push([start, end ?? inner.byteLength]);
                return inner.slice(start, end);
            },
        };
        const { metadata } = await readParquetMetadata(math);
        const groups = metadata.row_groups.map((g) => {
            const starts = g.columns.map((c) => Number(c.meta_data!.dictionary_page_offset ?? c.meta_data!.data_page_offset));
            const ends = g.columns.map((c, i) => starts[i]! + Number(c.meta_data!.total_compressed_size));
            return [Math.min(...starts), Math.max(...ends)] as const;
        });
        expect(groups.length).toBe(3);
        const rows = readParquet(spy);
        await rows.next();
        const dataReads = slices.filter(([, end]) => end !== inner.byteLength); // the footer read ends at the file end
        expect(dataReads.length).toBeGreaterThan(0);
        for (const [start, end] of dataReads) {
            expect(start).toBeGreaterThanOrEqual(groups[0]![0]);
            expect(end).toBeLessThanOrEqual(groups[0]![1]);
        }
        let count = 1;
        for await (const _ of rows) count++;
        expect(count).toBe(10);
        expect(slices.some(([start]) => start >= groups[2]![0])).toBe(true);
    });

    it("reports the row groups and columns of a file", async () => {
        const { metadata } = await readParquetMetadata(math);
        expect(parquetRowGroups(metadata)).toEqual([{ rowStart: 0, rowEnd: 4 }, { rowStart: 4, rowEnd: 8 }, { rowStart: 8, rowEnd: 10 }]);
        expect(parquetColumnNames(metadata)).toEqual(["id", "problem", "solution", "level"]);
    });

    it("names the file when it is not Parquet", async () => {
        const bad = writeText(temp("bad.parquet"), "this is not parquet at all");
        await expect(readParquet(bad).next()).rejects.toThrow(/bad\.parquet: not a readable Parquet file/);
    });
});

describe("jsonSafe", () => {
    it("turns bigint, dates, bytes and typed arrays into JSON data", () => {
        expect(jsonSafe(5n)).toBe(5);
        expect(jsonSafe(2n ** 60n)).toBe("1152921504606846976");
        expect(jsonSafe(new Date(0))).toBe("1970-01-01T00:00:00.000Z");
        expect(jsonSafe(new Uint8Array([1, 2]))).toEqual([1, 2]);
        expect(jsonSafe({ a: [1n, undefined], b: new Float32Array([0.5]) })).toEqual({ a: [1, null], b: [0.5] });
    });
});
