/**
 * N-gram decontamination against evaluation sets, as Open R1 and s1 do: a training row that
 * shares any word n-gram (default n = 8) with any evaluation row is dropped.
 *
 * Both sides are normalised the same way (text.ts: NFKC, lower case, collapsed white space;
 * optionally without punctuation). An evaluation row shorter than n words has no n-gram and so
 * cannot contaminate anything; `EvalNgramIndex.shortRows` counts them and `decontaminate` notes
 * the count in the report, so the gap is visible rather than silent.
 */
import type { DataReport, DatasetRow, RowSource } from "../readers/dataReport.js";
import { formatSource } from "../readers/dataReport.js";
import { checkColumns, noTextReason, normalizeText, rowText, wordNgrams, words, type NormalizeOptions } from "./text.js";

export interface DecontaminateOptions extends NormalizeOptions {
    /** Words per n-gram. Default 8. */
    ngram?: number;
}

export const CONTAMINATED = "contaminated";

export interface NgramHit {
    ngram: string;
    /** Where the evaluation row that holds the n-gram came from (its first occurrence). */
    evalSource: RowSource;
}

/** The n-grams of the evaluation rows, each with the first evaluation row that has it. */
export class EvalNgramIndex {
    readonly ngram: number;
    /** Evaluation rows added, and how many of them were shorter than `ngram` words. */
    rows = 0;
    shortRows = 0;
    private readonly grams = new Map<string, number>();
    private readonly sources: RowSource[] = [];

    constructor(private readonly options: DecontaminateOptions = {}) {
        const n = options.ngram ?? 8;
        if (!Number.isInteger(n) || n < 1) throw new RangeError(`decontaminate: ngram must be a positive integer, got ${String(options.ngram)}`);
        this.ngram = n;
    }

    get size(): number {
        return this.grams.size;
    }

    add(text: string, source: RowSource): void {
        this.rows++;
        const grams = wordNgrams(words(normalizeText(text, this.options)), this.ngram);
        if (grams.length === 0) {
            this.shortRows++;
            return;
        }
        const id = this.sources.length;
        this.sources.push(source);
        for (const g of grams) if (!this.grams.has(g)) this.grams.set(g, id);
    }

    /** The first n-gram of `text` found in the evaluation rows, or null. */
    find(text: string): NgramHit | null {
        for (const g of wordNgrams(words(normalizeText(text, this.options)), this.ngram)) {
            const id = this.grams.get(g);
            if (id !== undefined) return { ngram: g, evalSource: this.sources[id]! };
        }
        return null;
    }
}

/** Builds the index from evaluation rows (e.g. `openDataset(evalFile)`), reading `columns`. */
export async function buildEvalIndex(
    evalRows: AsyncIterable<DatasetRow> | Iterable<DatasetRow>,
    report: DataReport,
    options: DecontaminateOptions & { columns?: readonly string[] } = {},
): Promise<EvalNgramIndex> {
    const columns = checkColumns(options.columns ?? ["problem"], "buildEvalIndex: options.columns");
    const index = new EvalNgramIndex(options);
    for await (const item of evalRows) {
        const text = rowText(item.row, columns);
        if (text.missing !== undefined) report.addBad(item.source, `evaluation row: ${noTextReason(text.missing)}`);
        else index.add(text.text, item.source);
    }
    return index;
}

/** Training rows sharing no n-gram with the evaluation index; contaminated rows go to `report`. */
export async function* decontaminate(
    rows: AsyncIterable<DatasetRow>,
    index: EvalNgramIndex,
    report: DataReport,
    options: { columns?: readonly string[] } = {},
): AsyncGenerator<DatasetRow> {
    const columns = checkColumns(options.columns ?? ["prompt"], "decontaminate: options.columns");
    if (index.shortRows > 0) {
        report.notes.push(`${index.shortRows} of ${index.rows} evaluation rows have fewer than ${index.ngram} words and cannot be matched`);
    }
    for await (const item of rows) {
        const text = rowText(item.row, columns);
        if (text.missing !== undefined) {
            report.addBad(item.source, noTextReason(text.missing));
            continue;
        }
        const hit = index.find(text.text);
        if (hit === null) yield item;
        else report.addDropped(item.source, CONTAMINATED, `${formatSource(item.source)} shares "${hit.ngram}" with ${formatSource(hit.evalSource)}`);
    }
}
