/**
 * One entry point for training and curation data: a JSONL file, a Parquet file, or a Hugging
 * Face dataset folder, streamed row by row with where each row came from.
 *
 *   const data = openDataset("data/NuminaMath", { split: "train", columns: { prompt: "problem", answer: "solution" } });
 *   for await (const { row, source } of data) use(row.prompt, row.answer);
 *   console.error(data.report.format());
 *
 * Bad rows (a line that is not JSON or not an object, a row without a mapped column) are not
 * yielded; each is counted in `report` with its file and line (JSONL) or row index (Parquet).
 * Missing files, unknown splits and columns absent from a Parquet schema are errors (thrown on
 * iteration), since they are configuration mistakes rather than bad rows.
 */
import { stat } from "node:fs/promises";
import type { Compressors } from "hyparquet";
import { DataReport, type DatasetRow } from "./dataReport.js";
import { applyColumnMapping, resolveColumnMapping, type ColumnMapping, type ColumnSpec } from "./columnMapping.js";
import { formatOfFile, listDatasetFiles, selectDatasetFiles, type DataFormat, type DatasetFile } from "./datasetFolder.js";
import { scanJsonl } from "./jsonlReader.js";
import { readParquet } from "./parquetReader.js";

export interface OpenDatasetOptions {
    /** Split of a dataset folder; required when the folder has more than one. Ignored for a file. */
    split?: string;
    /** Subset (configuration folder) of a dataset folder; required when it has more than one. */
    subset?: string;
    /** Columns to read: names, or { output: input } renames. Default: every column, unchanged. */
    columns?: ColumnSpec;
    /** With `columns`, also keep the columns not mapped. Default false (only the mapped ones). */
    keepOtherColumns?: boolean;
    /** The format of a single file whose extension says nothing. */
    format?: DataFormat;
    /** Counts go here; a new report by default. */
    report?: DataReport;
    /** Parquet decompressors beyond Snappy. */
    compressors?: Compressors;
}

export interface Dataset extends AsyncIterable<DatasetRow> {
    readonly report: DataReport;
    /** The files that will be (or were) read, in order. Iterate a Dataset once per report: each pass adds to its counts. */
    files(): Promise<DatasetFile[]>;
}

/** Reason strings used in the report. */
export const BAD_INVALID_JSON = "not valid JSON";
export const BAD_NOT_OBJECT = "not a JSON object";
export const badMissingColumn = (column: string): string => `missing column ${JSON.stringify(column)}`;

export function openDataset(pathOrFolder: string, options: OpenDatasetOptions = {}): Dataset {
    const report = options.report ?? new DataReport();
    const mapping = options.columns !== undefined ? resolveColumnMapping(options.columns) : undefined;
    let resolved: Promise<DatasetFile[]> | undefined;
    const files = (): Promise<DatasetFile[]> => (resolved ??= resolveFiles(pathOrFolder, options));
    return {
        report,
        files,
        [Symbol.asyncIterator]: () => iterate(files, mapping, options, report)[Symbol.asyncIterator](),
    };
}

async function resolveFiles(path: string, options: OpenDatasetOptions): Promise<DatasetFile[]> {
    let info;
    try {
        info = await stat(path);
    } catch {
        throw new Error(`${path}: no such file or dataset folder`);
    }
    if (info.isDirectory()) return selectDatasetFiles(path, await listDatasetFiles(path), options);
    const format = options.format ?? formatOfFile(path);
    if (format === null) throw new Error(`${path}: unknown data format (expected .jsonl or .parquet, or set the format option)`);
    return [{ path, relativePath: path, format, split: options.split ?? "train", subset: "" }];
}

async function* iterate(
    files: () => Promise<DatasetFile[]>,
    mapping: ColumnMapping | undefined,
    options: OpenDatasetOptions,
    report: DataReport,
): AsyncGenerator<DatasetRow> {
    const keepOthers = options.keepOtherColumns === true;
    for (const file of await files()) {
        report.addFile(file.path);
        if (file.format === "jsonl") {
            for await (const item of scanJsonl(file.path)) {
                report.rowsIn++;
                const source = { file: file.path, line: item.line };
                if (item.error !== undefined) {
                    report.addBad(source, item.error === "invalid-json" ? BAD_INVALID_JSON : BAD_NOT_OBJECT, item.detail);
                    continue;
                }
                const mapped = mapping ? applyColumnMapping(item.row, mapping, keepOthers) : { row: item.row };
                if (mapped.missing !== undefined) report.addBad(source, badMissingColumn(mapped.missing));
                else yield { row: mapped.row, source };
            }
        } else {
            const columns = mapping !== undefined && !keepOthers ? mapping.topLevel : undefined;
            const rows = readParquet(file.path, { ...(columns ? { columns } : {}), ...(options.compressors ? { compressors: options.compressors } : {}) });
            for await (const item of rows) {
                report.rowsIn++;
                const source = { file: file.path, rowIndex: item.rowIndex };
                const mapped = mapping ? applyColumnMapping(item.row, mapping, keepOthers) : { row: item.row };
                if (mapped.missing !== undefined) report.addBad(source, badMissingColumn(mapped.missing));
                else yield { row: mapped.row, source };
            }
        }
    }
}
