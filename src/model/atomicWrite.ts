/**
 * Atomic file writes: write a temporary file in the same folder (same file system, so the
 * rename is atomic), flush it, then rename it over the target. A reader sees the old file
 * or the new one, never half of one; a crash leaves at most a stray `.tmp-*` file.
 */
import { randomBytes } from "node:crypto";
import { open, rename, rm, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** A temporary path next to `file`, unique to this process and call. */
export function tempPathFor(file: string): string {
    const tag = `${process.pid}-${randomBytes(4).toString("hex")}`;
    return join(dirname(file), `.${basename(file)}.tmp-${tag}`);
}

/**
 * Writes `file` atomically through `fill`, which receives an open handle to the temporary
 * file. The temporary file is removed when `fill` throws.
 */
export async function writeFileAtomic(
    file: string,
    fill: (handle: FileHandle) => Promise<void>,
): Promise<void> {
    const temp = tempPathFor(file);
    const handle = await open(temp, "wx");
    try {
        await fill(handle);
        await handle.sync();
    } catch (err) {
        await handle.close().catch(() => undefined);
        await rm(temp, { force: true });
        throw err;
    }
    await handle.close();
    try {
        await rename(temp, file);
    } catch (err) {
        await rm(temp, { force: true });
        throw err;
    }
}

/** Writes a whole buffer or string atomically. */
export async function writeBytesAtomic(file: string, data: Uint8Array | string): Promise<void> {
    await writeFileAtomic(file, async (handle) => {
        await handle.writeFile(data);
    });
}

/** Writes a JSON document atomically, 2-space indented with a trailing newline (as transformers does). */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
    await writeBytesAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}
