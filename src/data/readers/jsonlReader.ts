/**
 * JSONL lines, streamed, without throwing on a bad line: each non-blank line comes back as an
 * object row or as the reason it is not one, with its 1-based line number. Blank lines are not
 * rows and are skipped; a UTF-8 byte-order mark on the first line is ignored.
 */
import fs from "node:fs";
import readline from "node:readline";

export type JsonlLine =
    | { line: number; row: Record<string, unknown>; error?: undefined; detail?: undefined }
    | { line: number; row?: undefined; error: "invalid-json" | "not-an-object"; detail: string };

/** The lines of a JSONL file as rows or errors (see the file comment). */
export async function* scanJsonl(file: string): AsyncGenerator<JsonlLine> {
    const input = fs.createReadStream(file, { encoding: "utf8" });
    const lines = readline.createInterface({ input, crlfDelay: Infinity });
    let line = 0;
    try {
        for await (const raw of lines) {
            line++;
            const text = line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
            if (text.trim() === "") continue;
            let value: unknown;
            try {
                value = JSON.parse(text);
            } catch (error) {
                yield { line, error: "invalid-json", detail: (error as Error).message };
                continue;
            }
            if (typeof value !== "object" || value === null || Array.isArray(value)) {
                yield { line, error: "not-an-object", detail: `got ${Array.isArray(value) ? "an array" : value === null ? "null" : typeof value}` };
                continue;
            }
            yield { line, row: value as Record<string, unknown> };
        }
    } finally {
        lines.close();
        input.destroy();
    }
}
