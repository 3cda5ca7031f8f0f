/**
 * What an earlier, interrupted run already finished, read back from its files.
 *
 * The distiller appends a prompt's kept rows to the output file in one write (its rejected rows
 * to the optional rejected file), then one line { key, generated, verified, written } to the ledger
 * (`<output>.done`). A prompt is finished when its key is in any of these files: the row files
 * cover a crash before the ledger line, the ledger covers prompts that kept no row. A crash can tear the last line of a file; that partial line is
 * cut off (so appends stay valid JSONL) and its byte count reported. A bad line anywhere else
 * means the file was not written by the distiller alone, and is an error naming the line.
 */
import { open, stat, truncate } from "node:fs/promises";
import { scanJsonl } from "../data/readers/jsonlReader.js";

export interface ResumeState {
    finished: Set<string>;
    /** Rows already in the output file. */
    outputRows: number;
    /** Bytes of torn last lines removed, per file. */
    truncated: Record<string, number>;
}

async function exists(file: string): Promise<boolean> {
    try {
        return (await stat(file)).isFile();
    } catch {
        return false;
    }
}

/** Cuts a file back to its last newline; returns the bytes removed (0 when it ends cleanly). */
export async function cutTornTail(file: string): Promise<number> {
    const size = (await stat(file)).size;
    if (size === 0) return 0;
    const handle = await open(file, "r");
    let keep = 0;
    try {
        const chunk = Buffer.alloc(64 * 1024);
        let end = size;
        search: while (end > 0) {
            const start = Math.max(0, end - chunk.length);
            const { bytesRead } = await handle.read(chunk, 0, end - start, start);
            for (let i = bytesRead - 1; i >= 0; i--) {
                if (chunk[i] === 0x0a) {
                    keep = start + i + 1;
                    break search;
                }
            }
            end = start;
        }
    } finally {
        await handle.close();
    }
    if (keep === size) return 0;
    await truncate(file, keep);
    return size - keep;
}

/** A file to read finished keys from, and how to get a key from one of its rows. */
export interface ResumeSource {
    file: string;
    keyOf: (row: Record<string, unknown>) => string | null;
    /** Count its rows in `outputRows`. */
    isOutput?: boolean;
}

/** Keys finished by an earlier run, from every source that exists (missing files are fine). */
export async function loadResumeState(sources: readonly ResumeSource[]): Promise<ResumeState> {
    const state: ResumeState = { finished: new Set(), outputRows: 0, truncated: {} };
    for (const { file, keyOf, isOutput } of sources) {
        if (!(await exists(file))) continue;
        const cut = await cutTornTail(file);
        if (cut > 0) state.truncated[file] = cut;
        for await (const item of scanJsonl(file)) {
            if (item.error !== undefined) throw new Error(`${file}:${item.line}: cannot resume, the line is not a JSON object (${item.detail})`);
            const key = keyOf(item.row);
            if (key === null) throw new Error(`${file}:${item.line}: cannot resume, no prompt key can be read from the line`);
            state.finished.add(key);
            if (isOutput === true) state.outputRows++;
        }
    }
    return state;
}
