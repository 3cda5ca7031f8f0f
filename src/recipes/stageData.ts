/**
 * A stage's data, made concrete: every source of the stage's `data` read (or generated), its
 * columns renamed, capped at its count, and the rows concatenated into one JSONL file in the
 * stage folder, which the trainer then reads. Writing the file (atomically) makes a stage's input
 * inspectable and its rerun exact: the generators and "@<stage>" files are deterministic.
 */
import { arithmeticProblems, arithmeticSolution } from "../data/builtin/arithmetic.js";
import { CODE_BASICS_SIZE, codeBasicsProblems } from "../data/builtin/codeBasics.js";
import { readJsonlRows } from "../data/jsonl.js";
import { DataReport, openDataset } from "../data/readers/index.js";
import { writeJsonlRows } from "../train/rejectionSampling.js";
import type { DataSource } from "./schema.js";

/** Rows a generator makes when a source gives no count. */
export const DEFAULT_GENERATED_ROWS = 4000;

export interface MaterialiseOptions {
    /** Seed of generators that set none. */
    seed: number;
    /** The dataset file of each earlier stage that wrote one, by stage name. */
    stageDatasets: ReadonlyMap<string, string>;
    /** Rows per source at most (smoke runs); null = as the source says. */
    maxRowsPerSource: number | null;
    /** Where the message names the data (e.g. `stage "cold_start" data`). */
    where: string;
    log?: (message: string) => void;
}

export interface MaterialisedData {
    file: string;
    rows: number;
    /** Rows taken from each source, in order. */
    sources: { source: string; rows: number }[];
}

function cap(count: number | null, fallback: number, max: number | null): number {
    const n = count ?? fallback;
    return max === null ? n : Math.min(n, max);
}

async function sourceRows(spec: DataSource, options: MaterialiseOptions, at: string): Promise<Record<string, unknown>[]> {
    const seed = spec.seed ?? options.seed;
    const split = spec.split === "heldout" ? "heldout" : "train";
    switch (spec.source) {
        case "builtin:arithmetic":
            return arithmeticProblems({ count: cap(spec.count, DEFAULT_GENERATED_ROWS, options.maxRowsPerSource), seed, split }).map((p) => ({
                question: p.question,
                answer: String(p.answer),
            }));
        case "builtin:arithmetic-solutions":
            return arithmeticProblems({ count: cap(spec.count, DEFAULT_GENERATED_ROWS, options.maxRowsPerSource), seed, split }).map((p) => ({
                prompt: p.question,
                completion: arithmeticSolution(p),
                answer: String(p.answer),
            }));
        case "builtin:code-basics":
            return codeBasicsProblems(cap(spec.count, CODE_BASICS_SIZE, options.maxRowsPerSource)).map((p) => ({ ...p }));
        default:
            break;
    }
    const limit = spec.count === null && options.maxRowsPerSource === null ? Infinity : cap(spec.count, Infinity, options.maxRowsPerSource);
    if (spec.source.startsWith("@")) {
        const name = spec.source.slice(1);
        const file = options.stageDatasets.get(name);
        if (file === undefined) throw new Error(`${at}: stage "${name}" has written no dataset yet`);
        return (await readJsonlRows(file)).slice(0, limit);
    }
    const report = new DataReport();
    const rows: Record<string, unknown>[] = [];
    for await (const { row } of openDataset(spec.source, { ...(spec.split !== null ? { split: spec.split } : {}), report })) {
        if (rows.length >= limit) break;
        rows.push(row);
    }
    const summary = report.toJSON();
    if (summary.bad > 0) options.log?.(`${at}: ${summary.bad} bad rows of ${spec.source} skipped\n${report.format()}`);
    return rows;
}

function renamed(row: Record<string, unknown>, columns: Record<string, string>, at: string, index: number): Record<string, unknown> {
    const out = { ...row };
    for (const [target, from] of Object.entries(columns)) {
        if (!(from in row)) throw new Error(`${at}: row ${index + 1} has no column "${from}" to rename to "${target}" (columns: ${Object.keys(row).join(", ")})`);
        delete out[from];
    }
    for (const [target, from] of Object.entries(columns)) out[target] = row[from];
    return out;
}

/** Reads every source of `sources` and writes their rows, concatenated, to `file`. */
export async function materialiseData(sources: readonly DataSource[], file: string, options: MaterialiseOptions): Promise<MaterialisedData> {
    const all: Record<string, unknown>[] = [];
    const counts: MaterialisedData["sources"] = [];
    for (const [i, spec] of sources.entries()) {
        const at = `${options.where}${sources.length > 1 ? `[${i}]` : ""} (${spec.source})`;
        let rows = await sourceRows(spec, options, at);
        if (rows.length === 0) throw new Error(`${at}: the source has no rows`);
        if (spec.columns !== null) rows = rows.map((row, j) => renamed(row, spec.columns!, at, j));
        counts.push({ source: spec.source, rows: rows.length });
        all.push(...rows);
    }
    await writeJsonlRows(file, all);
    return { file, rows: all.length, sources: counts };
}

/** The first of `candidates` that the row has as a string/number column, or null. */
export function detectColumn(row: Record<string, unknown> | undefined, candidates: readonly string[]): string | null {
    if (row === undefined) return null;
    return candidates.find((c) => typeof row[c] === "string" || typeof row[c] === "number") ?? null;
}

/** The prompt and gold-answer columns of sampling rows: as configured, else detected from the first row. */
export function samplingColumns(
    rows: readonly Record<string, unknown>[],
    config: { promptColumn: string | null; answerColumn: string | null },
    where: string,
): { promptColumn: string; answerColumn: string } {
    const first = rows[0];
    const promptColumn = config.promptColumn ?? detectColumn(first, ["prompt", "problem", "question"]);
    const answerColumn = config.answerColumn ?? detectColumn(first, ["answer", "solution"]);
    const columns = first ? Object.keys(first).join(", ") : "none";
    if (promptColumn === null) throw new Error(`${where}: the rows have no prompt, problem or question column (columns: ${columns}); set config.promptColumn`);
    if (answerColumn === null) throw new Error(`${where}: the rows have no answer or solution column (columns: ${columns}); set config.answerColumn`);
    return { promptColumn, answerColumn };
}
