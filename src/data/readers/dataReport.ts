/**
 * What happened to the rows of a data run: how many were read, how many went out, which were
 * bad (unreadable, or missing a mapped column) and which a curation step dropped, each grouped
 * by reason with the first locations (file and line, or file and row index) kept as examples.
 *
 * Nothing is dropped silently: every reader and curation step that discards a row calls
 * `addBad` or `addDropped`. The caller prints `format()` (or writes `toJSON()`).
 */

/** Where a row came from: a JSONL line (1-based) or a Parquet row (0-based physical index). */
export interface RowSource {
    file: string;
    line?: number;
    rowIndex?: number;
}

/** A row and where it came from; the unit every reader yields and every curation step takes. */
export interface DatasetRow {
    row: Record<string, unknown>;
    source: RowSource;
}

/** The rows that share one reason: their count and the first few locations. */
export interface ReasonTally {
    reason: string;
    count: number;
    /** The first `maxExamples` locations, in the order they were met. */
    examples: RowSource[];
    /** The detail of the first example (e.g. the JSON parse error), when one was given. */
    firstDetail?: string;
}

export interface DataReportSummary {
    files: string[];
    rowsIn: number;
    rowsOut: number;
    bad: number;
    dropped: number;
    badByReason: ReasonTally[];
    droppedByReason: ReasonTally[];
    notes: string[];
}

/** "file:line" for JSONL rows, "file#rowIndex" for Parquet rows. */
export function formatSource(source: RowSource): string {
    if (source.line !== undefined) return `${source.file}:${source.line}`;
    if (source.rowIndex !== undefined) return `${source.file}#${source.rowIndex}`;
    return source.file;
}

export class DataReport {
    /** Rows met by the readers, good and bad. */
    rowsIn = 0;
    /** Rows written (or handed on) at the end; set by whoever consumes the stream. */
    rowsOut = 0;
    readonly files: string[] = [];
    /** Free-form remarks a step wants printed (e.g. "12 eval rows are shorter than 8 words"). */
    readonly notes: string[] = [];
    private readonly bad = new Map<string, ReasonTally>();
    private readonly dropped = new Map<string, ReasonTally>();
    private readonly maxExamples: number;

    /** `maxExamples`: locations kept per reason (the counts are always complete). Default 20. */
    constructor(options: { maxExamples?: number } = {}) {
        const max = options.maxExamples ?? 20;
        if (!Number.isInteger(max) || max < 0) throw new RangeError(`DataReport: maxExamples must be a non-negative integer, got ${String(max)}`);
        this.maxExamples = max;
    }

    /** A row that could not be used as input: invalid JSON, not an object, a missing column. */
    addBad(source: RowSource, reason: string, detail?: string): void {
        tally(this.bad, source, reason, detail, this.maxExamples);
    }

    /** A good row that a curation step removed (duplicate, contaminated, too long, ...). */
    addDropped(source: RowSource, reason: string, detail?: string): void {
        tally(this.dropped, source, reason, detail, this.maxExamples);
    }

    addFile(file: string): void {
        this.files.push(file);
    }

    get badCount(): number {
        return sum(this.bad);
    }

    get droppedCount(): number {
        return sum(this.dropped);
    }

    /** The tally of one reason, or undefined when no row had it. */
    badFor(reason: string): ReasonTally | undefined {
        return this.bad.get(reason);
    }

    droppedFor(reason: string): ReasonTally | undefined {
        return this.dropped.get(reason);
    }

    toJSON(): DataReportSummary {
        return {
            files: [...this.files],
            rowsIn: this.rowsIn,
            rowsOut: this.rowsOut,
            bad: this.badCount,
            dropped: this.droppedCount,
            badByReason: [...this.bad.values()].map(copyTally),
            droppedByReason: [...this.dropped.values()].map(copyTally),
            notes: [...this.notes],
        };
    }

    /** A few human-readable lines: totals, then each reason with its first locations. */
    format(): string {
        const lines = [`rows in: ${this.rowsIn}, out: ${this.rowsOut}, bad: ${this.badCount}, dropped: ${this.droppedCount}`];
        const section = (title: string, tallies: Map<string, ReasonTally>): void => {
            if (tallies.size === 0) return;
            lines.push(`${title}:`);
            for (const t of tallies.values()) {
                const shown = t.examples.map(formatSource).join(", ");
                const more = t.count > t.examples.length ? `, … ${t.count - t.examples.length} more` : "";
                const detail = t.firstDetail !== undefined ? ` — first: ${t.firstDetail}` : "";
                lines.push(`  ${t.reason}: ${t.count}${shown ? ` (${shown}${more})` : ""}${detail}`);
            }
        };
        section("bad rows", this.bad);
        section("dropped", this.dropped);
        for (const note of this.notes) lines.push(`note: ${note}`);
        return lines.join("\n");
    }
}

function tally(map: Map<string, ReasonTally>, source: RowSource, reason: string, detail: string | undefined, maxExamples: number): void {
    let entry = map.get(reason);
    if (entry === undefined) {
        entry = { reason, count: 0, examples: [] };
        if (detail !== undefined) entry.firstDetail = detail;
        map.set(reason, entry);
    }
    entry.count++;
    if (entry.examples.length < maxExamples) entry.examples.push({ ...source });
}

function sum(map: Map<string, ReasonTally>): number {
    let n = 0;
    for (const t of map.values()) n += t.count;
    return n;
}

function copyTally(t: ReasonTally): ReasonTally {
    return { ...t, examples: t.examples.map((s) => ({ ...s })) };
}
