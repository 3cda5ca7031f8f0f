/**
 * Benchmark plumbing: timing with warm-up and repetitions (best and median,
 * since this machine is noisy) and the results table/JSON.
 */
import fs from "node:fs";
import path from "node:path";

export interface Timing {
    bestMs: number;
    medianMs: number;
    reps: number;
}

/** Runs `fn` once to warm up, then `reps` times; returns best and median wall time. */
export async function time(fn: () => Promise<unknown> | unknown, reps: number): Promise<Timing> {
    await fn();
    const samples: number[] = [];
    for (let i = 0; i < reps; i++) {
        const t0 = process.hrtime.bigint();
        await fn();
        samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    samples.sort((a, b) => a - b);
    return { bestMs: samples[0]!, medianMs: samples[Math.floor(samples.length / 2)]!, reps };
}

/** One row of a results table. Numbers are rounded when printed, kept exact in JSON. */
export interface BenchRow {
    case: string;
    shape: string;
    ms: number;
    medianMs?: number;
    /** GFLOP/s or GB/s, as `rateUnit` says. */
    rate?: number;
    rateUnit?: "GFLOP/s" | "GB/s" | "Mtok/s";
    /** Percent of the measured FMA peak for the threads used. */
    percentOfPeak?: number;
    /** What the figure is compared with: a peer library or the naive path. */
    baseline?: string;
    baselineMs?: number;
    baselineRate?: number;
    /** ours / baseline for rates, baseline / ours for times (> 1 means we are faster). */
    ratio?: number;
    peakExtraMiB?: number;
    baselinePeakExtraMiB?: number;
    note?: string;
}

function fmt(x: number | undefined, digits = 1): string {
    if (x === undefined || Number.isNaN(x)) return "";
    return x >= 1000 ? x.toFixed(0) : x.toFixed(digits);
}

/** Renders rows as a Markdown table. */
export function formatTable(rows: BenchRow[]): string {
    const header = [
        "case", "shape", "ms", "rate", "% peak", "baseline", "baseline ms", "baseline rate", "ratio",
        "extra MiB", "baseline extra MiB",
    ];
    const lines = [
        `| ${header.join(" | ")} |`,
        `|${header.map(() => "---").join("|")}|`,
    ];
    for (const r of rows) {
        const cells = [
            r.case,
            r.shape,
            fmt(r.ms, 2),
            r.rate === undefined ? "" : `${fmt(r.rate)} ${r.rateUnit ?? ""}`,
            fmt(r.percentOfPeak),
            r.baseline ?? "",
            fmt(r.baselineMs, 2),
            r.baselineRate === undefined ? "" : `${fmt(r.baselineRate)} ${r.rateUnit ?? ""}`,
            r.ratio === undefined ? "" : `${r.ratio.toFixed(2)}×`,
            fmt(r.peakExtraMiB),
            fmt(r.baselinePeakExtraMiB),
        ];
        lines.push(`| ${cells.join(" | ")} |`);
    }
    return lines.join("\n");
}

/** Writes `<name>.json` and `<name>.md` into `outDir`. */
export function saveResults(outDir: string, name: string, meta: object, rows: BenchRow[]): string[] {
    fs.mkdirSync(outDir, { recursive: true });
    const jsonPath = path.join(outDir, `${name}.json`);
    const mdPath = path.join(outDir, `${name}.md`);
    fs.writeFileSync(jsonPath, `${JSON.stringify({ ...meta, rows }, null, 2)}\n`);
    fs.writeFileSync(mdPath, `${formatTable(rows)}\n`);
    return [jsonPath, mdPath];
}
