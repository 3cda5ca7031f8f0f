/**
 * JSONL files. Reading: rows streamed line by line; in `readJsonl` a line that is not a JSON
 * object is an error naming the file and line number (for a reader that counts bad lines
 * instead, see readers/jsonlReader.ts). Writing: `JsonlWriter` appends rows and fsyncs them in
 * batches, so a crash loses at most the rows since the last sync and never a synced one.
 */
import { open, type FileHandle } from "node:fs/promises";
import { scanJsonl } from "./readers/jsonlReader.js";

export async function* readJsonl(file: string): AsyncGenerator<{ row: Record<string, unknown>; line: number }> {
    for await (const item of scanJsonl(file)) {
        if (item.error !== undefined) {
            throw new Error(item.error === "invalid-json" ? `${file}:${item.line}: not valid JSON (${item.detail})` : `${file}:${item.line}: each line must be a JSON object`);
        }
        yield { row: item.row, line: item.line };
    }
}

/** All rows of a JSONL file. */
export async function readJsonlRows(file: string): Promise<Record<string, unknown>[]> {
    const rows: Record<string, unknown>[] = [];
    for await (const { row } of readJsonl(file)) rows.push(row);
    return rows;
}

export interface JsonlWriterOptions {
    /** "w" truncates the file, "a" appends to it. Default "w". */
    mode?: "w" | "a";
    /** fsync after this many rows (and always on close). 0 syncs only on close. Default 64. */
    syncEvery?: number;
}

/**
 * Writes one JSON object per line. Each `write` is a single append of whole lines, so a crash
 * mid-way leaves at most one torn last line (readers/jsonlReader reports it as invalid JSON).
 */
export class JsonlWriter {
    private unsynced = 0;
    private written = 0;
    private chain: Promise<void> = Promise.resolve();
    private closed = false;

    private constructor(private readonly handle: FileHandle, readonly file: string, private readonly syncEvery: number) {}

    static async open(file: string, options: JsonlWriterOptions = {}): Promise<JsonlWriter> {
        const syncEvery = options.syncEvery ?? 64;
        if (!Number.isInteger(syncEvery) || syncEvery < 0) throw new RangeError(`JsonlWriter: syncEvery must be a non-negative integer, got ${String(syncEvery)}`);
        const handle = await open(file, options.mode ?? "w");
        return new JsonlWriter(handle, file, syncEvery);
    }

    /** Rows written so far (synced or not). */
    get rowsWritten(): number {
        return this.written;
    }

    /** Appends rows as one write; calls are serialised in call order. */
    write(...rows: unknown[]): Promise<void> {
        if (this.closed) return Promise.reject(new Error(`JsonlWriter: ${this.file} is closed`));
        const text = rows.map((row) => `${JSON.stringify(row)}\n`).join("");
        const run = async (): Promise<void> => {
            if (text === "") return;
            await this.handle.appendFile(text, "utf8");
            this.written += rows.length;
            this.unsynced += rows.length;
            if (this.syncEvery > 0 && this.unsynced >= this.syncEvery) await this.syncNow();
        };
        this.chain = this.chain.then(run);
        return this.chain;
    }

    /** Waits for pending writes, then fsyncs. */
    sync(): Promise<void> {
        this.chain = this.chain.then(() => this.syncNow());
        return this.chain;
    }

    /** Waits for pending writes, fsyncs and closes. Safe to call twice. */
    async close(): Promise<void> {
        if (this.closed) return;
        this.closed = true;
        try {
            await this.chain.then(() => this.syncNow());
        } finally {
            await this.handle.close();
        }
    }

    private async syncNow(): Promise<void> {
        if (this.unsynced === 0) return;
        await this.handle.sync();
        this.unsynced = 0;
    }
}
