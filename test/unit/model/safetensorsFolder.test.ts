import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MissingFileError, ModelFormatError } from "../../../src/model/errors.js";
import { writeSafetensors, type Tensor } from "../../../src/model/safetensors.js";
import {
    INDEX_FILE,
    SafetensorsFolder,
    readSafetensorsFolder,
    shardFileName,
    writeSafetensorsFolder,
} from "../../../src/model/safetensorsFolder.js";

let root: string;
let counter = 0;
beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "r1-stfolder-"));
});
afterAll(async () => {
    await rm(root, { recursive: true, force: true });
});

async function freshDir(): Promise<string> {
    const d = join(root, `case-${counter++}`);
    await mkdir(d);
    return d;
}

function tensor(shape: number[], seed: number): Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = Math.sin(seed * 100 + i);
    return { shape, data };
}

// Five tensors of 40, 40, 80, 16 and 40 bytes (f32).
function sample(): Map<string, Tensor> {
    return new Map([
        ["a", tensor([10], 1)],
        ["b", tensor([2, 5], 2)],
        ["c", tensor([4, 5], 3)],
        ["d", tensor([4], 4)],
        ["e", tensor([10], 5)],
    ]);
}

async function formatError(f: () => Promise<unknown>): Promise<ModelFormatError> {
    try {
        await f();
    } catch (err) {
        expect(err).toBeInstanceOf(ModelFormatError);
        return err as ModelFormatError;
    }
    throw new Error("expected a ModelFormatError");
}

describe("sharded checkpoints", () => {
    it("names shards as transformers does", () => {
        expect(shardFileName(1, 3)).toBe("model-00001-of-00003.safetensors");
        expect(shardFileName(12, 12)).toBe("model-00012-of-00012.safetensors");
    });

    it("writes one file under the limit", async () => {
        const dir = await freshDir();
        expect(await writeSafetensorsFolder(dir, sample())).toEqual(["model.safetensors"]);
        const back = await readSafetensorsFolder(dir);
        expect([...back.keys()]).toEqual(["a", "b", "c", "d", "e"]);
        expect(Array.from(back.get("c")!.data)).toEqual(Array.from(sample().get("c")!.data));
    });

    it("shards greedily by size, writes the index, and reads it back", async () => {
        const dir = await freshDir();
        // Limit 90 bytes: [a, b] = 80, [c] = 80, [d, e] = 56.
        const written = await writeSafetensorsFolder(dir, sample(), { maxShardBytes: 90 });
        expect(written).toEqual([shardFileName(1, 3), shardFileName(2, 3), shardFileName(3, 3), INDEX_FILE]);
        const index = JSON.parse(await readFile(join(dir, INDEX_FILE), "utf8"));
        expect(index).toEqual({
            metadata: { total_size: 216 },
            weight_map: {
                a: shardFileName(1, 3),
                b: shardFileName(1, 3),
                c: shardFileName(2, 3),
                d: shardFileName(3, 3),
                e: shardFileName(3, 3),
            },
        });
        const folder = await SafetensorsFolder.open(dir);
        expect(folder.sharded).toBe(true);
        expect(folder.names).toEqual(["a", "b", "c", "d", "e"]);
        expect(folder.info("c")).toEqual({ name: "c", file: shardFileName(2, 3), dtype: "F32", shape: [4, 5] });
        // Lazy: load a subset across shards, in the order asked.
        const some = await folder.loadMany(["e", "a"]);
        expect([...some.keys()]).toEqual(["e", "a"]);
        expect(Array.from(some.get("e")!.data)).toEqual(Array.from(sample().get("e")!.data));
        const all = await readSafetensorsFolder(dir);
        for (const [name, t] of sample()) expect(Array.from(all.get(name)!.data)).toEqual(Array.from(t.data));
        await expect(folder.load("zz")).rejects.toThrow(/no tensor "zz"/);
    });

    it("gives a tensor larger than the limit a shard of its own", async () => {
        const dir = await freshDir();
        const written = await writeSafetensorsFolder(dir, sample(), { maxShardBytes: 30, dtype: "bf16" });
        // bf16 sizes 20, 20, 40, 8, 20: [a], [b], [c], [d, e].
        expect(written.length).toBe(5);
        const folder = await SafetensorsFolder.open(dir);
        expect(folder.info("c")!.dtype).toBe("BF16");
        expect(folder.info("d")!.file).toBe(folder.info("e")!.file);
    });

    it("removes the weight files of an earlier save in the other layout", async () => {
        const dir = await freshDir();
        await writeSafetensorsFolder(dir, sample(), { maxShardBytes: 90 });
        await writeFile(join(dir, "keep.txt"), "x");
        await writeSafetensorsFolder(dir, sample());
        expect((await readdir(dir)).sort()).toEqual(["keep.txt", "model.safetensors"]);
        await writeSafetensorsFolder(dir, sample(), { maxShardBytes: 90 });
        expect((await readdir(dir)).sort()).toEqual(["keep.txt", ...[1, 2, 3].map((i) => shardFileName(i, 3)), INDEX_FILE].sort());
    });
});

describe("bad folders", () => {
    async function shardedDir(): Promise<string> {
        const dir = await freshDir();
        await writeSafetensorsFolder(dir, sample(), { maxShardBytes: 90 });
        return dir;
    }

    it("a shard listed in the index is missing", async () => {
        const dir = await shardedDir();
        await rm(join(dir, shardFileName(2, 3)));
        const err = await formatError(() => SafetensorsFolder.open(dir));
        expect(err).toBeInstanceOf(MissingFileError);
        expect(err.message).toContain(join(dir, shardFileName(2, 3)));
        expect(err.message).toContain('"c"');
    });

    it("a tensor listed in the index is missing from its shard", async () => {
        const dir = await shardedDir();
        const index = JSON.parse(await readFile(join(dir, INDEX_FILE), "utf8"));
        index.weight_map.ghost = shardFileName(1, 3);
        await writeFile(join(dir, INDEX_FILE), JSON.stringify(index));
        const err = await formatError(() => SafetensorsFolder.open(dir));
        expect(err.message).toContain(join(dir, shardFileName(1, 3)));
        expect(err.message).toContain('tensor "ghost" listed in model.safetensors.index.json is missing');
        expect(err.item).toBe("ghost");
    });

    it("an index that is not JSON, or has no weight_map", async () => {
        const dir = await shardedDir();
        await writeFile(join(dir, INDEX_FILE), "{ nope");
        let err = await formatError(() => SafetensorsFolder.open(dir));
        expect(err.message).toContain(join(dir, INDEX_FILE));
        expect(err.message).toContain("not valid JSON");
        await writeFile(join(dir, INDEX_FILE), JSON.stringify({ metadata: {} }));
        err = await formatError(() => SafetensorsFolder.open(dir));
        expect(err.message).toContain("weight_map must be an object");
    });

    it("an index pointing outside the folder", async () => {
        const dir = await shardedDir();
        await writeFile(join(dir, INDEX_FILE), JSON.stringify({ weight_map: { a: "../elsewhere.safetensors" } }));
        const err = await formatError(() => SafetensorsFolder.open(dir));
        expect(err.message).toContain('weight_map["a"] must be a file name in the same folder');
    });

    it("a corrupt shard is reported with its own file name", async () => {
        const dir = await shardedDir();
        await writeFile(join(dir, shardFileName(3, 3)), new Uint8Array([9, 9]));
        const err = await formatError(() => SafetensorsFolder.open(dir));
        expect(err.message).toContain(join(dir, shardFileName(3, 3)));
        expect(err.message).toContain("truncated");
    });

    it("a folder without weights", async () => {
        const dir = await freshDir();
        await writeSafetensors(join(dir, "other.safetensors"), { a: tensor([1], 1) });
        const err = await formatError(() => SafetensorsFolder.open(dir));
        expect(err).toBeInstanceOf(MissingFileError);
        expect(err.message).toContain(dir);
        expect(err.message).toContain("no model.safetensors or model.safetensors.index.json");
        expect(err.message).toContain("other.safetensors");
    });
});
