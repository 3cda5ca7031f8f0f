import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { JsonlWriter, readJsonl, readJsonlRows } from "../../../src/data/jsonl.js";
import { scanJsonl } from "../../../src/data/readers/jsonlReader.js";
import { useTempDir, writeJsonl, writeText } from "./tempDir.js";

const temp = useTempDir("jsonl");

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
    const out: T[] = [];
    for await (const x of it) out.push(x);
    return out;
}

describe("scanJsonl", () => {
    it("yields rows and bad lines with 1-based line numbers, skipping blank lines", async () => {
        const file = writeText(temp("mixed.jsonl"), '{"a":1}\n\n{"a":2\n[1,2]\n"text"\nnull\n{"a":3}\n');
        const items = await collect(scanJsonl(file));
        expect(items.map((i) => [i.line, i.error ?? "ok"])).toEqual([
            [1, "ok"],
            [3, "invalid-json"],
            [4, "not-an-object"],
            [5, "not-an-object"],
            [6, "not-an-object"],
            [7, "ok"],
        ]);
        expect(items[0]!.row).toEqual({ a: 1 });
        expect(items[2]!.detail).toBe("got an array");
        expect(items[4]!.detail).toBe("got null");
    });

    it("ignores a byte-order mark and CRLF line ends", async () => {
        const file = writeText(temp("bom.jsonl"), '\uFEFF{"a":"x"}\r\n{"a":"y"}\r\n');
        expect((await collect(scanJsonl(file))).map((i) => i.row)).toEqual([{ a: "x" }, { a: "y" }]);
    });
});

describe("readJsonl (strict)", () => {
    it("keeps throwing on the first bad line, naming file and line", async () => {
        const file = writeJsonl(temp("strict.jsonl"), [{ q: 1 }, "{oops"]);
        await expect(readJsonlRows(file)).rejects.toThrow(`${file}:2: not valid JSON`);
        const arr = writeJsonl(temp("strict2.jsonl"), [{ q: 1 }, "[1]"]);
        await expect(collect(readJsonl(arr))).rejects.toThrow(`${arr}:2: each line must be a JSON object`);
        expect(await readJsonlRows(writeJsonl(temp("ok.jsonl"), [{ q: 1 }, { q: 2 }]))).toEqual([{ q: 1 }, { q: 2 }]);
    });
});

describe("JsonlWriter", () => {
    it("writes in call order, appends in mode a, and counts rows", async () => {
        const file = temp("out.jsonl");
        const w = await JsonlWriter.open(file, { syncEvery: 2 });
        const pending = [w.write({ i: 0 }), w.write({ i: 1 }, { i: 2 }), w.write()];
        await Promise.all(pending);
        expect(w.rowsWritten).toBe(3);
        await w.close();
        await w.close();
        await expect(w.write({ i: 9 })).rejects.toThrow("is closed");
        const again = await JsonlWriter.open(file, { mode: "a" });
        await again.write({ i: 3 });
        await again.close();
        expect(readFileSync(file, "utf8")).toBe('{"i":0}\n{"i":1}\n{"i":2}\n{"i":3}\n');
    });

    it("rejects a bad syncEvery", async () => {
        await expect(JsonlWriter.open(temp("x.jsonl"), { syncEvery: -1 })).rejects.toThrow("syncEvery");
    });
});
