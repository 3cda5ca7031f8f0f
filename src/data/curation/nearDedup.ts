/**
 * Near-duplicate removal with MinHash + LSH (see minhash.ts). Rows are taken in order; a row
 * is dropped when an earlier kept row shares an LSH band with it and (with `verify`, the
 * default) their estimated Jaccard similarity is at least `threshold`. Without `verify`, any
 * shared band drops the row, as datatrove's MinHash deduplication does: faster, more removals.
 *
 * Defaults: 128 permutations, 5-word shingles, threshold 0.8, bands chosen by `optimalBands`
 * (for 0.8 and 128: 9 bands of 13 rows), seed 0. Memory per kept row: its signature
 * (4·numPerm bytes) plus one band-table entry per band; about 1 KB a row at the defaults.
 * Rows without words (empty text) are kept and left to exact deduplication.
 */
import type { DataReport, DatasetRow, RowSource } from "../readers/dataReport.js";
import { formatSource } from "../readers/dataReport.js";
import { MinHasher, estimatedJaccard, fmix32, optimalBands, type MinHashOptions } from "./minhash.js";
import { checkColumns, noTextReason, rowText } from "./text.js";

export interface NearDedupOptions extends MinHashOptions {
    /** Estimated Jaccard similarity at or above which a row is a near duplicate. Default 0.8. */
    threshold?: number;
    /** LSH bands; `rows` = floor(numPerm / bands). Default from optimalBands(threshold, numPerm). */
    bands?: number;
    /** Confirm band collisions with the signature similarity. Default true. */
    verify?: boolean;
}

export const NEAR_DUPLICATE = "near-duplicate";

export interface NearMatch {
    /** Ordinal (0-based, among kept texts) of the earlier text this one duplicates. */
    of: number;
    similarity: number;
}

export class NearDuplicateIndex {
    readonly hasher: MinHasher;
    readonly threshold: number;
    readonly bands: number;
    readonly rows: number;
    private readonly verify: boolean;
    private readonly tables: Map<number, number | number[]>[];
    private readonly signatures: Uint32Array[] = [];

    constructor(options: NearDedupOptions = {}) {
        this.hasher = new MinHasher(options);
        this.threshold = options.threshold ?? 0.8;
        if (!(this.threshold > 0 && this.threshold <= 1)) throw new RangeError(`nearDedup: threshold must be in (0, 1], got ${String(options.threshold)}`);
        if (options.bands !== undefined) {
            if (!Number.isInteger(options.bands) || options.bands < 1 || options.bands > this.hasher.numPerm) {
                throw new RangeError(`nearDedup: bands must be an integer in [1, numPerm = ${this.hasher.numPerm}], got ${String(options.bands)}`);
            }
            this.bands = options.bands;
            this.rows = Math.floor(this.hasher.numPerm / options.bands);
        } else {
            ({ bands: this.bands, rows: this.rows } = this.threshold >= 1 ? { bands: 1, rows: this.hasher.numPerm } : optimalBands(this.threshold, this.hasher.numPerm));
        }
        this.verify = options.verify ?? true;
        this.tables = Array.from({ length: this.bands }, () => new Map());
    }

    /** Texts kept so far. */
    get size(): number {
        return this.signatures.length;
    }

    /**
     * The earlier kept text this one nearly duplicates, or null, in which case the text is
     * kept: added to the index under ordinal `size - 1`. A text without words returns null and
     * is not indexed (it gets no ordinal).
     */
    findOrAdd(text: string): NearMatch | null | "no-words" {
        const sig = this.hasher.signature(text);
        if (sig === null) return "no-words";
        const keys = this.bandKeys(sig);
        let best: NearMatch | null = null;
        const tried = new Set<number>();
        for (let band = 0; band < this.bands; band++) {
            const entry = this.tables[band]!.get(keys[band]!);
            if (entry === undefined) continue;
            for (const id of typeof entry === "number" ? [entry] : entry) {
                if (tried.has(id)) continue;
                tried.add(id);
                const similarity = estimatedJaccard(sig, this.signatures[id]!);
                if (!this.verify || similarity >= this.threshold) {
                    if (best === null || similarity > best.similarity) best = { of: id, similarity };
                    if (!this.verify) return best;
                }
            }
        }
        if (best !== null) return best;
        const id = this.signatures.length;
        this.signatures.push(sig);
        for (let band = 0; band < this.bands; band++) {
            const table = this.tables[band]!;
            const entry = table.get(keys[band]!);
            if (entry === undefined) table.set(keys[band]!, id);
            else if (typeof entry === "number") table.set(keys[band]!, [entry, id]);
            else entry.push(id);
        }
        return null;
    }

    /** One 52-bit key per band from two independent hashes of the band's entries. */
    private bandKeys(sig: Uint32Array): number[] {
        const keys: number[] = [];
        for (let band = 0; band < this.bands; band++) {
            let h1 = 0x811c9dc5 ^ band, h2 = 0x9747b28c ^ band;
            for (let r = band * this.rows; r < (band + 1) * this.rows; r++) {
                const v = sig[r]!;
                h1 = Math.imul(h1 ^ v, 0x01000193);
                h2 = Math.imul(h2 ^ (v >>> 7) ^ (v << 25), 0x5bd1e995);
            }
            keys.push(fmix32(h1 >>> 0) * 0x100000 + (fmix32(h2 >>> 0) >>> 12));
        }
        return keys;
    }
}

/** Rows that are not near duplicates of an earlier kept row; the rest go to `report`. */
export async function* nearDedup(rows: AsyncIterable<DatasetRow>, report: DataReport, options: NearDedupOptions & { columns?: readonly string[] } = {}): AsyncGenerator<DatasetRow> {
    const columns = checkColumns(options.columns ?? ["prompt"], "nearDedup: options.columns");
    const index = new NearDuplicateIndex(options);
    const keptSources: RowSource[] = [];
    for await (const item of rows) {
        const text = rowText(item.row, columns);
        if (text.missing !== undefined) {
            report.addBad(item.source, noTextReason(text.missing));
            continue;
        }
        const match = index.findOrAdd(text.text);
        if (match === null) keptSources.push(item.source);
        if (match === null || match === "no-words") {
            yield item;
            continue;
        }
        report.addDropped(item.source, NEAR_DUPLICATE, `${formatSource(item.source)} ~ ${formatSource(keptSources[match.of]!)} (estimated Jaccard ${match.similarity.toFixed(2)})`);
    }
}
