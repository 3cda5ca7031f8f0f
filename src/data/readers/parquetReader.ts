/**
 * Parquet rows through hyparquet, one row group at a time: the footer is read once, then each
 * row group is fetched, decoded and yielded before the next is touched, so memory holds one
 * decoded row group (of the requested columns only), whatever the file size.
 *
 * Values are made JSON-safe as they come out: INT64 (bigint) becomes a number when it is a safe
 * integer and a decimal string otherwise, dates become ISO strings, bytes become arrays of
 * numbers. Nested columns (lists, structs) come back as arrays and objects.
 *
 * Compression: hyparquet decodes uncompressed and Snappy files (the `datasets` library's
 * default) by itself; gzip/zstd/brotli files need `compressors` (e.g. hyparquet-compressors).
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer, type Compressors, type FileMetaData } from "hyparquet";

export interface ParquetReadOptions {
    /** Top-level columns to decode; all when undefined. An unknown name is an error naming the file. */
    columns?: readonly string[];
    /** Decompressors for codecs other than Snappy. */
    compressors?: Compressors;
}

export interface ParquetRowGroupInfo {
    rowStart: number;
    rowEnd: number;
}

/** The top-level column names of a Parquet file, in schema order. */
export function parquetColumnNames(metadata: FileMetaData): string[] {
    return parquetSchema(metadata).children.map((child) => child.element.name);
}

/** Half-open row ranges of the row groups, in file order. */
export function parquetRowGroups(metadata: FileMetaData): ParquetRowGroupInfo[] {
    const groups: ParquetRowGroupInfo[] = [];
    let start = 0;
    for (const group of metadata.row_groups) {
        const n = Number(group.num_rows);
        groups.push({ rowStart: start, rowEnd: start + n });
        start += n;
    }
    return groups;
}

/** Reads the footer of `file` (a path or a hyparquet AsyncBuffer). */
export async function readParquetMetadata(file: string | AsyncBuffer): Promise<{ buffer: AsyncBuffer; metadata: FileMetaData }> {
    const name = typeof file === "string" ? file : "parquet buffer";
    const buffer = typeof file === "string" ? await asyncBufferFromFile(file) : file;
    try {
        return { buffer, metadata: await parquetMetadataAsync(buffer) };
    } catch (error) {
        throw new Error(`${name}: not a readable Parquet file (${(error as Error).message})`);
    }
}

/**
 * The rows of a Parquet file with their 0-based physical row index, streamed by row group.
 * `name` labels errors when `file` is a buffer.
 */
export async function* readParquet(
    file: string | AsyncBuffer,
    options: ParquetReadOptions = {},
    name: string = typeof file === "string" ? file : "parquet buffer",
): AsyncGenerator<{ row: Record<string, unknown>; rowIndex: number }> {
    const { buffer, metadata } = await readParquetMetadata(file);
    let columns: string[] | undefined;
    if (options.columns !== undefined) {
        const known = parquetColumnNames(metadata);
        const missing = options.columns.filter((c) => !known.includes(c));
        if (missing.length > 0) {
            throw new Error(`${name}: no column ${missing.map((c) => JSON.stringify(c)).join(", ")} (the file has ${known.map((c) => JSON.stringify(c)).join(", ")})`);
        }
        columns = [...new Set(options.columns)];
    }
    for (const group of parquetRowGroups(metadata)) {
        if (group.rowEnd === group.rowStart) continue;
        let rows: Record<string, unknown>[];
        try {
            rows = await parquetReadObjects({
                file: buffer,
                metadata,
                rowStart: group.rowStart,
                rowEnd: group.rowEnd,
                rowFormat: "object",
                ...(columns !== undefined ? { columns } : {}),
                ...(options.compressors !== undefined ? { compressors: options.compressors } : {}),
            });
        } catch (error) {
            throw new Error(`${name}: cannot decode rows ${group.rowStart}..${group.rowEnd - 1} (${(error as Error).message})`);
        }
        for (const [i, raw] of rows.entries()) {
            yield { row: jsonSafeRow(raw), rowIndex: group.rowStart + i };
        }
    }
}

function jsonSafeRow(raw: Record<string, unknown>): Record<string, unknown> {
    const row: Record<string, unknown> = {};
    for (const key of Object.keys(raw)) row[key] = jsonSafe(raw[key]);
    return row;
}

/** A Parquet value as plain JSON data (see the file comment). */
export function jsonSafe(value: unknown): unknown {
    if (value === undefined || value === null) return null;
    if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
    if (typeof value !== "object") return value;
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
    if (value instanceof Uint8Array) return Array.from(value);
    if (Array.isArray(value)) return value.map(jsonSafe);
    if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number | bigint>, jsonSafe);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) out[key] = jsonSafe((value as Record<string, unknown>)[key]);
    return out;
}
