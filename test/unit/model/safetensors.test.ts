import { mkdtemp, readFile, readdir, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MissingFileError, ModelFormatError } from "../../../src/model/errors.js";
import { bf16BitsToFloat32, f16BitsToFloat32, float32ToBf16Bits } from "../../../src/model/halfFloat.js";
import {
    SafetensorsFile,
    decodeSafetensors,
    encodeSafetensors,
    readSafetensors,
    readSafetensorsHeader,
    writeSafetensors,
    type Tensor,
} from "../../../src/model/safetensors.js";

let dir: string;
beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "r1-safetensors-"));
});
afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
});

function bitsOf(data: Float32Array): Uint32Array {
    return new Uint32Array(data.buffer, data.byteOffset, data.length);
}

function fromBits(bits: number[]): Float32Array {
    return new Float32Array(new Uint32Array(bits).buffer);
}

/** A safetensors file built by hand: header object, raw data bytes, optional length override. */
function rawFile(header: unknown, data: Uint8Array, headerText?: string, lengthOverride?: bigint): Uint8Array {
    const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
    const out = new Uint8Array(8 + json.length + data.length);
    new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(json.length), true);
    out.set(json, 8);
    out.set(data, 8 + json.length);
    return out;
}

function u16Bytes(values: number[]): Uint8Array {
    return new Uint8Array(new Uint16Array(values).buffer);
}

async function writeRaw(name: string, bytes: Uint8Array): Promise<string> {
    const file = join(dir, name);
    await writeFile(file, bytes);
    return file;
}

/** Runs `f` and returns the ModelFormatError it throws. */
async function formatError(f: () => Promise<unknown>): Promise<ModelFormatError> {
    try {
        await f();
    } catch (err) {
        expect(err).toBeInstanceOf(ModelFormatError);
        return err as ModelFormatError;
    }
    throw new Error("expected a ModelFormatError");
}

describe("f32", () => {
    it("round-trips bit for bit, special values included", async () => {
        // 1, -0, +inf, -inf, smallest subnormal, largest finite, a NaN with a payload, 1/3.
        const special = fromBits([0x3f800000, 0x80000000, 0x7f800000, 0xff800000, 0x00000001, 0x7f7fffff, 0x7fa12345, 0x3eaaaaab]);
        const random = new Float32Array(1000);
        let s = 12345;
        for (let i = 0; i < random.length; i++) {
            s = (s * 1103515245 + 12345) >>> 0;
            random[i] = (s / 2 ** 32 - 0.5) * 10 ** ((i % 9) - 4);
        }
        const tensors = new Map<string, Tensor>([
            ["special", { shape: [2, 4], data: special }],
            ["random", { shape: [10, 10, 10], data: random }],
            ["scalar", { shape: [], data: new Float32Array([42.5]) }],
            ["empty", { shape: [0, 3], data: new Float32Array(0) }],
        ]);
        const file = join(dir, "f32.safetensors");
        await writeSafetensors(file, tensors);
        const back = await readSafetensors(file);
        expect([...back.keys()]).toEqual([...tensors.keys()]);
        for (const [name, t] of tensors) {
            expect(back.get(name)!.shape).toEqual(t.shape);
            expect(bitsOf(back.get(name)!.data)).toEqual(bitsOf(t.data));
        }
        // The in-memory encoder writes the same bytes as the file writer.
        expect(encodeSafetensors(tensors)).toEqual(new Uint8Array(await readFile(file)));
        const decoded = decodeSafetensors(encodeSafetensors(tensors)).tensors;
        expect(bitsOf(decoded.get("special")!.data)).toEqual(bitsOf(special));
    });

    it("writes the layout of the reference implementation", async () => {
        const file = join(dir, "layout.safetensors");
        await writeSafetensors(file, { a: { shape: [2], data: new Float32Array([1, 2]) }, b: { shape: [1, 1], data: new Float32Array([3]) } });
        const bytes = new Uint8Array(await readFile(file));
        const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
        expect(n % 8).toBe(0); // data section 8-byte aligned
        const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
        expect(header).toEqual({
            __metadata__: { format: "pt" },
            a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
            b: { dtype: "F32", shape: [1, 1], data_offsets: [8, 12] },
        });
        expect(bytes.length).toBe(8 + n + 12);
        expect(Array.from(new Float32Array(bytes.slice(8 + n).buffer))).toEqual([1, 2, 3]);
        expect((await readSafetensorsHeader(file)).metadata).toEqual({ format: "pt" });
        // No temporary file is left behind.
        expect((await readdir(dir)).filter((f) => f.includes(".tmp-"))).toEqual([]);
    });

    it("loads only the tensors asked for, in the order asked", async () => {
        const file = join(dir, "subset.safetensors");
        await writeSafetensors(file, { x: { shape: [1], data: new Float32Array([1]) }, y: { shape: [1], data: new Float32Array([2]) } });
        const back = await readSafetensors(file, ["y"]);
        expect([...back.keys()]).toEqual(["y"]);
        const err = await formatError(() => readSafetensors(file, ["z"]));
        expect(err.message).toContain(file);
        expect(err.message).toContain('"z"');
    });
});

describe("bf16", () => {
    // Hand-computed: float32 bits -> bf16 bits, round to nearest, ties to even.
    const cases: [string, number, number][] = [
        ["1.0", 0x3f800000, 0x3f80],
        ["-2.0", 0xc0000000, 0xc000],
        ["1/3 (0x3EAAAAAB: low half 0xAAAB > 0x8000 rounds up)", 0x3eaaaaab, 0x3eab],
        ["-0", 0x80000000, 0x8000],
        ["tie, even kept (1.00390625)", 0x3f808000, 0x3f80],
        ["tie, odd rounds up", 0x3f818000, 0x3f82],
        ["just above a tie", 0x3f808001, 0x3f81],
        ["just below a tie", 0x3f807fff, 0x3f80],
        ["largest float32 overflows to +inf", 0x7f7fffff, 0x7f80],
        ["+inf", 0x7f800000, 0x7f80],
        ["-inf", 0xff800000, 0xff80],
        ["smallest subnormal rounds to 0", 0x00000001, 0x0000],
        ["quiet NaN", 0x7fc00000, 0x7fc0],
        ["NaN with only low payload bits stays NaN", 0x7f800001, 0x7fc0],
        ["negative NaN keeps its sign", 0xffc00000, 0xffc0],
    ];

    it.each(cases)("%s", (_label, f32Bits, bf16Bits) => {
        expect(float32ToBf16Bits(fromBits([f32Bits])[0]!)).toBe(bf16Bits);
    });

    it("writes those bit patterns and loads them back as float32", async () => {
        const input = fromBits(cases.map((c) => c[1]));
        const file = join(dir, "bf16.safetensors");
        await writeSafetensors(file, { t: { shape: [input.length], data: input } }, { dtype: "bf16" });
        const bytes = new Uint8Array(await readFile(file));
        const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
        const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
        expect(header.t).toEqual({ dtype: "BF16", shape: [input.length], data_offsets: [0, input.length * 2] });
        const stored = Array.from(new Uint16Array(bytes.slice(8 + n).buffer));
        expect(stored).toEqual(cases.map((c) => c[2]));
        const loaded = (await readSafetensors(file)).get("t")!.data;
        expect(Array.from(bitsOf(loaded))).toEqual(cases.map((c) => (c[2] << 16) >>> 0));
        expect(loaded[2]).toBe(0.333984375); // 0x3EAB0000
        expect(Object.is(loaded[3], -0)).toBe(true);
        expect(Number.isNaN(loaded[13])).toBe(true);
    });

    it("encodes long tensors across chunk boundaries", async () => {
        const n = 4 * 1024 * 1024 + 3; // one past the writer's chunk
        const data = new Float32Array(n);
        for (let i = 0; i < n; i++) data[i] = (i % 1000) / 7 - 50;
        const file = join(dir, "bf16-long.safetensors");
        await writeSafetensors(file, { t: { shape: [n], data } }, { dtype: "bf16" });
        const back = (await readSafetensors(file)).get("t")!.data;
        for (const i of [0, 1, 4 * 1024 * 1024 - 1, 4 * 1024 * 1024, n - 1]) {
            expect(back[i]).toBe(bf16BitsToFloat32(float32ToBf16Bits(data[i]!)));
        }
    });
});

describe("f16 and hand-written bf16 files", () => {
    // IEEE binary16 bit pattern -> value, computed by hand.
    const f16: [number, number][] = [
        [0x3c00, 1],
        [0xc000, -2],
        [0x3555, 0.333251953125], // (1 + 341/1024) * 2^-2
        [0x7bff, 65504], // largest finite
        [0x0400, 2 ** -14], // smallest normal
        [0x03ff, 1023 * 2 ** -24], // largest subnormal
        [0x0001, 2 ** -24], // smallest subnormal
        [0x8001, -(2 ** -24)],
        [0x0000, 0],
        [0x7c00, Infinity],
        [0xfc00, -Infinity],
    ];

    it("decodes f16 bit patterns exactly, subnormals, infinities, NaN and -0 included", async () => {
        const bits = [...f16.map((c) => c[0]), 0x7e00, 0x7c01, 0x8000];
        const file = await writeRaw("f16.safetensors", rawFile({ h: { dtype: "F16", shape: [bits.length], data_offsets: [0, bits.length * 2] } }, u16Bytes(bits)));
        const data = (await readSafetensors(file)).get("h")!.data;
        f16.forEach(([b, v], i) => {
            expect(data[i], `0x${b.toString(16)}`).toBe(v);
            expect(f16BitsToFloat32(b)).toBe(v);
        });
        expect(Number.isNaN(data[f16.length])).toBe(true);
        expect(Number.isNaN(data[f16.length + 1])).toBe(true); // signalling-NaN pattern
        expect(Object.is(data[f16.length + 2], -0)).toBe(true);
    });

    it("decodes a bf16 file written by another writer, in any header order", async () => {
        // Header lists b before a, but a's data comes first: order in the JSON is free.
        const header = {
            b: { dtype: "BF16", shape: [2], data_offsets: [4, 8] },
            a: { dtype: "BF16", shape: [1, 2], data_offsets: [0, 4] },
            __metadata__: { format: "pt", note: "hand" },
        };
        const file = await writeRaw("bf16-hand.safetensors", rawFile(header, u16Bytes([0x3f80, 0x4049, 0xbf00, 0x7f80])));
        const st = await SafetensorsFile.open(file);
        try {
            expect(st.names).toEqual(["b", "a"]);
            expect(st.header.metadata).toEqual({ format: "pt", note: "hand" });
            expect(Array.from((await st.load("a")).data)).toEqual([1, 3.140625]);
            expect(Array.from((await st.load("b")).data)).toEqual([-0.5, Infinity]);
            expect((await st.load("a")).shape).toEqual([1, 2]);
        } finally {
            await st.close();
        }
    });
});

describe("bad files give errors naming the file and tensor", () => {
    const f32 = (n: number) => new Uint8Array(new Float32Array(n).buffer);

    it("truncated file", async () => {
        const file = join(dir, "truncated.safetensors");
        await writeSafetensors(file, { first: { shape: [4], data: new Float32Array(4) }, last: { shape: [4], data: new Float32Array(4) } });
        await truncate(file, (await readFile(file)).length - 3);
        const err = await formatError(() => readSafetensors(file));
        expect(err.message).toContain(file);
        expect(err.message).toContain('"last"');
        expect(err.message).toContain("truncated");
        expect(err.item).toBe("last");
    });

    it("file shorter than the length prefix", async () => {
        const file = await writeRaw("tiny.safetensors", new Uint8Array([1, 2, 3]));
        const err = await formatError(() => readSafetensorsHeader(file));
        expect(err.message).toContain(file);
        expect(err.message).toContain("truncated");
    });

    it("header length beyond the file size", async () => {
        const file = await writeRaw("biglen.safetensors", rawFile({}, new Uint8Array(0), "{}", 1000n));
        const err = await formatError(() => readSafetensors(file));
        expect(err.message).toContain(file);
        expect(err.message).toContain("header length 1000 exceeds the file size");
        // The in-memory decoder gives the same error.
        expect(() => decodeSafetensors(new Uint8Array(rawFile({}, new Uint8Array(0), "{}", 1000n)), "mem")).toThrow(/header length 1000/);
    });

    it("header that is not JSON", async () => {
        const file = await writeRaw("badjson.safetensors", rawFile(null, new Uint8Array(0), '{"a": {"dtype": "F32",'));
        const err = await formatError(() => readSafetensors(file));
        expect(err.message).toContain(file);
        expect(err.message).toContain("not valid JSON");
    });

    it("header that is JSON but not an object", async () => {
        const file = await writeRaw("array.safetensors", rawFile([1, 2], new Uint8Array(0)));
        expect((await formatError(() => readSafetensors(file))).message).toContain("must be a JSON object");
    });

    it("offsets overrunning the data section", async () => {
        const header = { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [4], data_offsets: [8, 24] } };
        const file = await writeRaw("overrun.safetensors", rawFile(header, f32(3)));
        const err = await formatError(() => readSafetensors(file));
        expect(err.message).toContain(file);
        expect(err.message).toContain('"b"');
        expect(err.message).toMatch(/needs data section bytes up to 24 but the file holds only 12/);
    });

    it("overlapping tensors", async () => {
        const header = { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } };
        const file = await writeRaw("overlap.safetensors", rawFile(header, f32(3)));
        const err = await formatError(() => readSafetensors(file));
        expect(err.message).toContain(file);
        expect(err.message).toMatch(/tensor "b" .* overlaps tensor "a"/);
    });

    it("a gap between tensors", async () => {
        const header = { a: { dtype: "F32", shape: [1], data_offsets: [0, 4] }, b: { dtype: "F32", shape: [1], data_offsets: [8, 12] } };
        const file = await writeRaw("gap.safetensors", rawFile(header, f32(3)));
        const err = await formatError(() => readSafetensors(file));
        expect(err.message).toContain(file);
        expect(err.message).toContain('gap before tensor "b"');
    });

    it("bytes after the last tensor", async () => {
        const header = { a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } };
        const file = await writeRaw("trailing.safetensors", rawFile(header, f32(2)));
        const err = await formatError(() => readSafetensors(file));
        expect(err.message).toContain(file);
        expect(err.message).toContain("4 bytes after the last tensor");
    });

    it("data size not matching shape x dtype size", async () => {
        const header = { w: { dtype: "BF16", shape: [3], data_offsets: [0, 8] } };
        const file = await writeRaw("size.safetensors", rawFile(header, f32(2)));
        const err = await formatError(() => readSafetensors(file));
        expect(err.message).toContain(file);
        expect(err.message).toContain('tensor "w"');
        expect(err.message).toContain("span 8 bytes but shape [3] of BF16 needs 6");
    });

    it("unknown dtype, named", async () => {
        const header = { q: { dtype: "Q4_K", shape: [2], data_offsets: [0, 2] } };
        const file = await writeRaw("dtype.safetensors", rawFile(header, new Uint8Array(2)));
        const err = await formatError(() => readSafetensors(file));
        expect(err.message).toContain(file);
        expect(err.message).toContain('tensor "q"');
        expect(err.message).toContain('unknown dtype "Q4_K"');
    });

    it("a known dtype that does not load as float: header fine, load names it", async () => {
        const header = { ids: { dtype: "I64", shape: [1], data_offsets: [0, 8] }, w: { dtype: "F32", shape: [1], data_offsets: [8, 12] } };
        const file = await writeRaw("i64.safetensors", rawFile(header, new Uint8Array(12)));
        expect((await readSafetensorsHeader(file)).tensors.get("ids")!.dtype).toBe("I64");
        expect((await readSafetensors(file, ["w"])).get("w")!.data[0]).toBe(0);
        const err = await formatError(() => readSafetensors(file));
        expect(err.message).toContain(file);
        expect(err.message).toContain('tensor "ids" has dtype I64');
    });

    it("malformed entries", async () => {
        const bad: [unknown, RegExp][] = [
            [{ t: { dtype: "F32", shape: [-1], data_offsets: [0, 0] } }, /tensor "t": shape must be an array of non-negative integers/],
            [{ t: { dtype: "F32", shape: [1], data_offsets: [4, 0] } }, /tensor "t": data_offsets \[4, 0\] end before they begin/],
            [{ t: { dtype: "F32", shape: [1] } }, /tensor "t": data_offsets must be/],
            [{ t: { shape: [1], data_offsets: [0, 4] } }, /tensor "t": dtype must be a string/],
            [{ __metadata__: { n: 1 } }, /__metadata__\.n must be a string/],
        ];
        for (const [header, pattern] of bad) {
            const file = await writeRaw("entry.safetensors", rawFile(header, new Uint8Array(0)));
            const err = await formatError(() => readSafetensors(file));
            expect(err.message).toContain(file);
            expect(err.message).toMatch(pattern);
        }
    });

    it("missing file", async () => {
        const file = join(dir, "nope.safetensors");
        const err = await formatError(() => readSafetensors(file));
        expect(err).toBeInstanceOf(MissingFileError);
        expect(err.message).toContain(file);
    });
});

describe("writer input checks", () => {
    it("names the tensor whose shape does not match its data", async () => {
        const file = join(dir, "never.safetensors");
        await expect(writeSafetensors(file, { good: { shape: [1], data: new Float32Array(1) }, bad: { shape: [2, 2], data: new Float32Array(3) } })).rejects.toThrow(
            /tensor "bad": shape \[2, 2\] has 4 elements but data has 3/,
        );
        await expect(readFile(file)).rejects.toThrow(); // nothing written
        await expect(writeSafetensors(file, { t: { shape: [1], data: new Float32Array(1) } }, { dtype: "f16" as never })).rejects.toThrow(/dtype must be "f32" or "bf16"/);
    });
});
