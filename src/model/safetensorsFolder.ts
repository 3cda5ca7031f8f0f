/**
 * The weights of a Hugging Face model folder: one `model.safetensors`, or shards
 * `model-00001-of-0000N.safetensors` listed by `model.safetensors.index.json`:
 *
 *     { "metadata": { "total_size": <bytes> }, "weight_map": { "<tensor>": "<shard file>" } }
 *
 * Opening a folder reads and validates every header (cheap) and checks that each tensor
 * of the index is in the shard it names; tensor data is read only when asked for, so a
 * caller can stream weights one tensor at a time.
 */
import { readFile, readdir, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { writeJsonAtomic } from "./atomicWrite.js";
import { MissingFileError, ModelFormatError, isNotFound } from "./errors.js";
import {
    SafetensorsFile,
    checkTensor,
    readSafetensorsHeader,
    tensorBytes,
    tensorEntries,
    writeSafetensors,
    type SafetensorsHeader,
    type Tensor,
    type TensorMap,
    type TensorSource,
    type WriteDtype,
} from "./safetensors.js";

export const SINGLE_FILE = "model.safetensors";
export const INDEX_FILE = "model.safetensors.index.json";

/** The shard name transformers uses: model-00001-of-00003.safetensors (1-based). */
export function shardFileName(index: number, count: number): string {
    const pad = (n: number) => String(n).padStart(5, "0");
    return `model-${pad(index)}-of-${pad(count)}.safetensors`;
}

const SHARD_PATTERN = /^model-\d{5}-of-\d{5}\.safetensors$/;

/** Where a tensor lives and what it is, from the headers alone. */
export interface TensorInfo {
    name: string;
    /** File name inside the folder. */
    file: string;
    dtype: string;
    shape: number[];
}

/** The weights of a folder, opened lazily. */
export class SafetensorsFolder {
    private constructor(
        readonly dir: string,
        /** The weight files, by file name. */
        readonly headers: ReadonlyMap<string, SafetensorsHeader>,
        private readonly index: ReadonlyMap<string, TensorInfo>,
        /** Whether the folder is sharded (has an index file). */
        readonly sharded: boolean,
    ) {}

    /** Opens `dir`, validating the index and all shard headers. */
    static async open(dir: string): Promise<SafetensorsFolder> {
        const indexPath = join(dir, INDEX_FILE);
        let indexText: string | null = null;
        try {
            indexText = await readFile(indexPath, "utf8");
        } catch (err) {
            if (!isNotFound(err)) throw err;
        }
        if (indexText !== null) return SafetensorsFolder.openSharded(dir, indexPath, indexText);
        let header: SafetensorsHeader;
        try {
            header = await readSafetensorsHeader(join(dir, SINGLE_FILE));
        } catch (err) {
            if (err instanceof MissingFileError) {
                const found = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith(".safetensors"));
                throw new MissingFileError(
                    dir,
                    `no ${SINGLE_FILE} or ${INDEX_FILE} in the folder` +
                        (found.length > 0 ? ` (found ${found.join(", ")} without an index)` : ""),
                );
            }
            throw err;
        }
        const index = new Map<string, TensorInfo>();
        for (const e of header.tensors.values()) {
            index.set(e.name, { name: e.name, file: SINGLE_FILE, dtype: e.dtype, shape: e.shape });
        }
        return new SafetensorsFolder(dir, new Map([[SINGLE_FILE, header]]), index, false);
    }

    private static async openSharded(dir: string, indexPath: string, text: string): Promise<SafetensorsFolder> {
        let json: unknown;
        try {
            json = JSON.parse(text);
        } catch (err) {
            throw new ModelFormatError(indexPath, `not valid JSON (${(err as Error).message})`);
        }
        const weightMap = (json as { weight_map?: unknown } | null)?.weight_map;
        if (typeof weightMap !== "object" || weightMap === null || Array.isArray(weightMap)) {
            throw new ModelFormatError(indexPath, "weight_map must be an object mapping tensor names to file names", "weight_map");
        }
        const listed = new Map<string, string[]>();
        for (const [name, file] of Object.entries(weightMap as Record<string, unknown>)) {
            if (typeof file !== "string" || file.length === 0 || basename(file) !== file || file === "." || file === "..") {
                throw new ModelFormatError(indexPath, `weight_map["${name}"] must be a file name in the same folder, got ${JSON.stringify(file)}`, name);
            }
            const list = listed.get(file) ?? [];
            list.push(name);
            listed.set(file, list);
        }
        const headers = new Map<string, SafetensorsHeader>();
        const index = new Map<string, TensorInfo>();
        for (const [file, names] of listed) {
            let header: SafetensorsHeader;
            try {
                header = await readSafetensorsHeader(join(dir, file));
            } catch (err) {
                if (err instanceof MissingFileError) {
                    throw new MissingFileError(
                        join(dir, file),
                        `file not found; ${INDEX_FILE} lists it for ${names.length} tensor(s), e.g. "${names[0]}"`,
                        names[0],
                    );
                }
                throw err;
            }
            headers.set(file, header);
            for (const name of names) {
                const entry = header.tensors.get(name);
                if (entry === undefined) {
                    throw new ModelFormatError(join(dir, file), `tensor "${name}" listed in ${INDEX_FILE} is missing from this shard`, name);
                }
            }
        }
        // Keep the index's order, which is the order transformers wrote the tensors in.
        for (const [name, file] of Object.entries(weightMap as Record<string, string>)) {
            const e = headers.get(file)!.tensors.get(name)!;
            index.set(name, { name, file, dtype: e.dtype, shape: e.shape });
        }
        return new SafetensorsFolder(dir, headers, index, true);
    }

    /** All tensor names (index order for a sharded folder, header order otherwise). */
    get names(): string[] {
        return [...this.index.keys()];
    }

    has(name: string): boolean {
        return this.index.has(name);
    }

    /** Header facts about a tensor, or undefined when the folder lacks it. */
    info(name: string): TensorInfo | undefined {
        return this.index.get(name);
    }

    /** Loads one tensor as float32. */
    async load(name: string): Promise<Tensor> {
        const map = await this.loadMany([name]);
        return map.get(name)!;
    }

    /**
     * Loads tensors as float32 (all of them by default), returned in the order asked.
     * Each shard file is opened once.
     */
    async loadMany(names: readonly string[] = this.names): Promise<TensorMap> {
        const byFile = new Map<string, string[]>();
        for (const name of names) {
            const info = this.index.get(name);
            if (info === undefined) throw new ModelFormatError(this.dir, `no tensor "${name}" in the model's weights`, name);
            const list = byFile.get(info.file) ?? [];
            list.push(name);
            byFile.set(info.file, list);
        }
        const loaded = new Map<string, Tensor>();
        for (const [file, list] of byFile) {
            const st = await SafetensorsFile.open(join(this.dir, file));
            try {
                for (const name of list) loaded.set(name, await st.load(name));
            } finally {
                await st.close();
            }
        }
        const out: TensorMap = new Map();
        for (const name of names) out.set(name, loaded.get(name)!);
        return out;
    }
}

/** Reads tensors of a model folder (all, or `names`) as float32. */
export async function readSafetensorsFolder(dir: string, names?: readonly string[]): Promise<TensorMap> {
    const folder = await SafetensorsFolder.open(dir);
    return folder.loadMany(names);
}

/** Options of writeSafetensorsFolder. */
export interface WriteFolderOptions {
    /** Storage dtype, default "f32". */
    dtype?: WriteDtype;
    /**
     * Largest shard in bytes of tensor data; default 5e9 (transformers' long-standing
     * default). A tensor larger than this gets a shard of its own.
     */
    maxShardBytes?: number;
    metadata?: Record<string, string>;
}

/**
 * Writes tensors into `dir` (which must exist) as model.safetensors, or as shards plus an
 * index when they exceed maxShardBytes. Each file is written atomically; stale weight files
 * of an earlier save (the other layout, or shards of another count) are removed after the
 * new ones are in place. Returns the file names written.
 */
export async function writeSafetensorsFolder(dir: string, tensors: TensorSource, options: WriteFolderOptions = {}): Promise<string[]> {
    const entries = tensorEntries(tensors);
    const maxShard = options.maxShardBytes ?? 5e9;
    if (!(typeof maxShard === "number" && maxShard > 0)) {
        throw new RangeError(`writeSafetensorsFolder: maxShardBytes must be a positive number, got ${maxShard}`);
    }
    for (const [name, t] of entries) checkTensor(name, t, dir);

    // Greedy in order: start a new shard when the next tensor would overflow this one.
    const shards: [string, Tensor][][] = [[]];
    let current = 0;
    let total = 0;
    for (const entry of entries) {
        const bytes = tensorBytes(entry[1], options.dtype);
        total += bytes;
        if (current > 0 && current + bytes > maxShard) {
            shards.push([]);
            current = 0;
        }
        shards[shards.length - 1]!.push(entry);
        current += bytes;
    }

    const written: string[] = [];
    if (shards.length === 1) {
        await writeSafetensors(join(dir, SINGLE_FILE), entries, options);
        written.push(SINGLE_FILE);
    } else {
        const weightMap: Record<string, string> = {};
        for (let i = 0; i < shards.length; i++) {
            const file = shardFileName(i + 1, shards.length);
            await writeSafetensors(join(dir, file), shards[i]!, options);
            for (const [name] of shards[i]!) weightMap[name] = file;
            written.push(file);
        }
        await writeJsonAtomic(join(dir, INDEX_FILE), { metadata: { total_size: total }, weight_map: weightMap });
        written.push(INDEX_FILE);
    }
    for (const f of await readdir(dir)) {
        const stale = (f === SINGLE_FILE || f === INDEX_FILE || SHARD_PATTERN.test(f)) && !written.includes(f);
        if (stale) await rm(join(dir, f), { force: true });
    }
    return written;
}
