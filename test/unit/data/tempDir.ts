/** A temporary folder per test file, removed afterwards. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll } from "vitest";

export const fixtures = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "fixtures", "data");

export function useTempDir(prefix: string): (name: string) => string {
    const dir = mkdtempSync(join(tmpdir(), `r1-${prefix}-`));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    return (name: string) => join(dir, name);
}

/** Writes `text` at `path`, creating folders. */
export function writeText(path: string, text: string): string {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return path;
}

/** Writes rows as JSONL (strings are written verbatim, as raw lines). */
export function writeJsonl(path: string, rows: readonly unknown[]): string {
    return writeText(path, rows.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join("\n") + "\n");
}
