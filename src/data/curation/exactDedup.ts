/**
 * Exact deduplication: a row whose normalised text (see text.ts) equals that of an earlier row
 * is dropped; the first occurrence is kept. Memory: one 22-character hash per distinct row.
 */
import type { DataReport, DatasetRow } from "../readers/dataReport.js";
import { checkColumns, contentHash, noTextReason, normalizeText, rowText, type NormalizeOptions } from "./text.js";

export interface ExactDedupOptions extends NormalizeOptions {
    /** Columns whose joined text identifies a row. Default ["prompt"]. */
    columns?: readonly string[];
}

export const DUPLICATE = "duplicate";

/** Remembers the hashes of texts seen; `isDuplicate` answers and records in one call. */
export class ExactDeduplicator {
    private readonly seen = new Set<string>();

    constructor(private readonly options: NormalizeOptions = {}) {}

    /** True when an equal (normalised) text was seen before; otherwise records it. */
    isDuplicate(text: string): boolean {
        const key = contentHash(normalizeText(text, this.options));
        if (this.seen.has(key)) return true;
        this.seen.add(key);
        return false;
    }

    get size(): number {
        return this.seen.size;
    }
}

/** Rows without earlier exact duplicates; duplicates (dropped) and rows without text (bad) go to `report`. */
export async function* exactDedup(rows: AsyncIterable<DatasetRow>, report: DataReport, options: ExactDedupOptions = {}): AsyncGenerator<DatasetRow> {
    const columns = checkColumns(options.columns ?? ["prompt"], "exactDedup: options.columns");
    const dedup = new ExactDeduplicator(options);
    for await (const item of rows) {
        const text = rowText(item.row, columns);
        if (text.missing !== undefined) report.addBad(item.source, noTextReason(text.missing));
        else if (dedup.isDuplicate(text.text)) report.addDropped(item.source, DUPLICATE);
        else yield item;
    }
}
