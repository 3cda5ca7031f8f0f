/**
 * Results of the model benchmarks (train-step, generate): one entry per
 * model + shape + threads, kept in `<suite>.json` (a rerun of the same key
 * replaces its entry, a new key is added) and rendered as `<suite>.md`.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** One column of a results table: its header and how to print an entry's cell. */
export interface Column<T> {
    header: string;
    cell: (entry: T) => string;
}

/** A number rounded for a table: integers above 1000, `digits` decimals below. */
export function fmtNumber(x: number | null | undefined, digits = 1): string {
    if (x === undefined || x === null || Number.isNaN(x)) return "";
    return Math.abs(x) >= 1000 ? x.toFixed(0) : x.toFixed(digits);
}

/** A parameter count as "2.9M" / "494M". */
export function fmtParams(n: number): string {
    return n >= 1e9 ? `${(n / 1e9).toFixed(2)}B` : n >= 1e6 ? `${(n / 1e6).toFixed(n >= 1e8 ? 0 : 1)}M` : `${(n / 1e3).toFixed(0)}K`;
}

/** Renders entries as a Markdown table. */
export function formatColumns<T>(entries: readonly T[], columns: readonly Column<T>[]): string {
    const lines = [
        `| ${columns.map((c) => c.header).join(" | ")} |`,
        `|${columns.map(() => "---").join("|")}|`,
    ];
    for (const e of entries) lines.push(`| ${columns.map((c) => c.cell(e).replaceAll("|", "/")).join(" | ")} |`);
    return lines.join("\n");
}

interface ResultsFile<T> {
    suite: string;
    updated: string;
    entries: (T & { key: string })[];
}

/** The machine fields every entry carries. */
export function machineInfo(): { date: string; cpu: string | undefined; cores: number } {
    return { date: new Date().toISOString(), cpu: os.cpus()[0]?.model, cores: os.cpus().length };
}

/**
 * Adds `entry` under `key` to `<outDir>/<suite>.json` (replacing an entry with that key)
 * and rewrites `<suite>.md` from all entries. Returns the two paths.
 */
export function saveKeyedResult<T extends object>(
    outDir: string,
    suite: string,
    key: string,
    entry: T,
    columns: readonly Column<T>[],
): string[] {
    fs.mkdirSync(outDir, { recursive: true });
    const jsonPath = path.join(outDir, `${suite}.json`);
    const mdPath = path.join(outDir, `${suite}.md`);
    let entries: (T & { key: string })[] = [];
    try {
        const old = JSON.parse(fs.readFileSync(jsonPath, "utf8")) as Partial<ResultsFile<T>>;
        if (Array.isArray(old.entries)) entries = old.entries;
    } catch {
        // absent or unreadable: start afresh
    }
    const row = { key, ...entry };
    const at = entries.findIndex((e) => e.key === key);
    if (at >= 0) entries[at] = row;
    else entries.push(row);
    const file: ResultsFile<T> = { suite, updated: new Date().toISOString(), entries };
    fs.writeFileSync(jsonPath, `${JSON.stringify(file, null, 2)}\n`);
    fs.writeFileSync(mdPath, `# r1-native bench ${suite}\n\n${formatColumns(entries, columns)}\n`);
    return [jsonPath, mdPath];
}
