/**
 * The safetensors file format, read and written from TypeScript.
 *
 * A file is: 8 bytes (little-endian u64) N, then N bytes of UTF-8 JSON, then the data
 * section. The JSON maps each tensor name to {dtype, shape, data_offsets: [begin, end]}
 * (byte offsets into the data section) and may hold "__metadata__": {string: string}.
 * Validation follows the reference implementation (huggingface/safetensors): the tensors
 * must tile the data section exactly, with no gap, overlap or trailing byte, and each
 * byte range must be shape × dtype size long.
 *
 * Loading converts F32, BF16 and F16 to Float32Array. Each tensor is read from the file on
 * its own (F32 straight into the result, 16-bit types through a bounded scratch buffer), so
 * loading never holds the file and its decoded copy at once. Writing streams the same way
 * into a temporary file that is renamed over the target.
 */
import { endianness } from "node:os";
import { open, type FileHandle } from "node:fs/promises";
import { writeFileAtomic } from "./atomicWrite.js";
import { MissingFileError, ModelFormatError, isNotFound } from "./errors.js";
import { decodeBf16, decodeF16, encodeBf16 } from "./halfFloat.js";

/** A dense tensor, row-major, always float32 in memory. */
export interface Tensor {
    shape: number[];
    data: Float32Array;
}

/** Tensors by name, in a stable (insertion) order. */
export type TensorMap = Map<string, Tensor>;

/** Tensors as a Map, an object, or name/tensor pairs. */
export type TensorSource = TensorMap | Record<string, Tensor> | Iterable<readonly [string, Tensor]>;

/** Bytes per element of every dtype the format defines (sub-byte float types excluded). */
export const DTYPE_SIZES: Readonly<Record<string, number>> = {
    BOOL: 1,
    U8: 1,
    I8: 1,
    F8_E5M2: 1,
    F8_E4M3: 1,
    F8_E8M0: 1,
    I16: 2,
    U16: 2,
    F16: 2,
    BF16: 2,
    I32: 4,
    U32: 4,
    F32: 4,
    I64: 8,
    U64: 8,
    F64: 8,
};

/** The dtypes that load into Float32Array. */
export const LOADABLE_DTYPES = ["F32", "BF16", "F16"] as const;
export type LoadableDtype = (typeof LOADABLE_DTYPES)[number];

/** The dtypes this writer produces. */
export type WriteDtype = "f32" | "bf16";

/** One tensor's header entry; offsets are absolute file positions. */
export interface TensorEntry {
    name: string;
    dtype: string;
    shape: number[];
    /** Byte position in the file where the tensor's data starts. */
    begin: number;
    /** Byte position in the file one past the tensor's data. */
    end: number;
}

/** A parsed and validated safetensors header. */
export interface SafetensorsHeader {
    file: string;
    fileSize: number;
    /** Tensors in header order. */
    tensors: Map<string, TensorEntry>;
    metadata: Record<string, string> | null;
    /** File position where the data section starts (8 + header length). */
    dataStart: number;
}

// The reference implementation refuses headers past 100 MB; so do we (a corrupt length
// would otherwise make us allocate whatever it says).
const MAX_HEADER_BYTES = 100_000_000;
// Bound on a single read() and on the scratch used to convert 16-bit tensors.
const READ_CHUNK_BYTES = 64 * 1024 * 1024;
const WRITE_CHUNK_ELEMENTS = 4 * 1024 * 1024;

function assertLittleEndian(): void {
    // Float32Array views use host byte order; the format is little-endian.
    if (endianness() !== "LE") throw new Error("safetensors: big-endian hosts are not supported");
}

/** The number of elements of a shape (1 for a scalar). */
export function shapeSize(shape: readonly number[]): number {
    let n = 1;
    for (const d of shape) n *= d;
    return n;
}

function isCount(x: unknown): x is number {
    return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

/**
 * Validates the JSON header (the `headerBytes` after the 8-byte length) of a file of
 * `fileSize` bytes. Throws ModelFormatError naming the file and the tensor at fault.
 */
export function parseSafetensorsHeader(
    file: string,
    headerBytes: Uint8Array,
    fileSize: number,
): SafetensorsHeader {
    const dataStart = 8 + headerBytes.length;
    let text: string;
    try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(headerBytes);
    } catch {
        throw new ModelFormatError(file, "safetensors header is not valid UTF-8");
    }
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch (err) {
        throw new ModelFormatError(file, `safetensors header is not valid JSON (${(err as Error).message})`);
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) {
        throw new ModelFormatError(file, "safetensors header must be a JSON object");
    }
    let metadata: Record<string, string> | null = null;
    const tensors = new Map<string, TensorEntry>();
    for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
        if (name === "__metadata__") {
            metadata = parseMetadata(file, value);
            continue;
        }
        tensors.set(name, parseEntry(file, name, value, dataStart));
    }
    checkTiling(file, tensors, dataStart, fileSize);
    return { file, fileSize, tensors, metadata, dataStart };
}

function parseMetadata(file: string, value: unknown): Record<string, string> | null {
    if (value === null) return null;
    if (typeof value !== "object" || Array.isArray(value)) {
        throw new ModelFormatError(file, "__metadata__ must be an object of strings", "__metadata__");
    }
    const out: Record<string, string> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== "string") {
            throw new ModelFormatError(file, `__metadata__.${key} must be a string`, "__metadata__");
        }
        out[key] = v;
    }
    return out;
}

function parseEntry(file: string, name: string, value: unknown, dataStart: number): TensorEntry {
    const fail = (what: string): never => {
        throw new ModelFormatError(file, `tensor "${name}": ${what}`, name);
    };
    if (typeof value !== "object" || value === null || Array.isArray(value)) fail("header entry must be an object");
    const entry = value as Record<string, unknown>;
    const dtype = entry.dtype;
    if (typeof dtype !== "string") return fail("dtype must be a string");
    const elementSize = DTYPE_SIZES[dtype];
    if (elementSize === undefined) {
        return fail(`unknown dtype "${dtype}" (known: ${Object.keys(DTYPE_SIZES).join(", ")})`);
    }
    const shape = entry.shape;
    if (!Array.isArray(shape) || !shape.every(isCount)) fail("shape must be an array of non-negative integers");
    const offsets = entry.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
        fail("data_offsets must be [begin, end] with non-negative integers");
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) fail(`data_offsets [${begin}, ${end}] end before they begin`);
    const dims = shape as number[];
    const expected = shapeSize(dims) * elementSize;
    if (end - begin !== expected) {
        fail(
            `data_offsets [${begin}, ${end}] span ${end - begin} bytes but shape [${dims.join(", ")}] ` +
                `of ${dtype} needs ${expected}`,
        );
    }
    return { name, dtype, shape: [...dims], begin: dataStart + begin, end: dataStart + end };
}

// The tensors must cover the data section exactly: sorted by offset, each begins where
// the previous one ends, the first at 0 and the last at the end of the file.
function checkTiling(file: string, tensors: Map<string, TensorEntry>, dataStart: number, fileSize: number): void {
    const sorted = [...tensors.values()].sort((a, b) => a.begin - b.begin || a.end - b.end);
    let cursor = dataStart;
    let previous: TensorEntry | null = null;
    for (const t of sorted) {
        if (t.begin < cursor) {
            throw new ModelFormatError(
                file,
                `tensor "${t.name}" (data_offsets [${t.begin - dataStart}, ${t.end - dataStart}]) overlaps ` +
                    `tensor "${previous!.name}" (data_offsets [${previous!.begin - dataStart}, ${previous!.end - dataStart}])`,
                t.name,
            );
        }
        if (t.begin > cursor) {
            throw new ModelFormatError(
                file,
                `bytes [${cursor - dataStart}, ${t.begin - dataStart}) of the data section belong to no tensor ` +
                    `(gap before tensor "${t.name}")`,
                t.name,
            );
        }
        if (t.end > fileSize) {
            throw new ModelFormatError(
                file,
                `tensor "${t.name}" needs data section bytes up to ${t.end - dataStart} but the file holds only ` +
                    `${fileSize - dataStart} (file truncated?)`,
                t.name,
            );
        }
        cursor = t.end;
        previous = t;
    }
    if (cursor !== fileSize) {
        throw new ModelFormatError(
            file,
            `${fileSize - cursor} bytes after the last tensor's data; the header does not describe the whole file`,
        );
    }
}

/** Reads and validates the header of a safetensors file without reading tensor data. */
export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
    const handle = await openForRead(file);
    try {
        return await readHeaderFrom(handle, file);
    } finally {
        await handle.close();
    }
}

async function openForRead(file: string): Promise<FileHandle> {
    try {
        return await open(file, "r");
    } catch (err) {
        if (isNotFound(err)) throw new MissingFileError(file);
        throw err;
    }
}

async function readHeaderFrom(handle: FileHandle, file: string): Promise<SafetensorsHeader> {
    const fileSize = (await handle.stat()).size;
    if (fileSize < 8) {
        throw new ModelFormatError(file, `truncated: ${fileSize} bytes, but a safetensors file starts with an 8-byte header length`);
    }
    const lengthBytes = new Uint8Array(8);
    await readExactly(handle, file, lengthBytes, 0);
    const length = new DataView(lengthBytes.buffer).getBigUint64(0, true);
    if (length > BigInt(fileSize - 8)) {
        throw new ModelFormatError(file, `header length ${length} exceeds the file size (${fileSize} bytes): truncated or not a safetensors file`);
    }
    if (length > BigInt(MAX_HEADER_BYTES)) {
        throw new ModelFormatError(file, `header length ${length} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
    }
    const headerBytes = new Uint8Array(Number(length));
    await readExactly(handle, file, headerBytes, 8);
    return parseSafetensorsHeader(file, headerBytes, fileSize);
}

async function readExactly(handle: FileHandle, file: string, into: Uint8Array, position: number): Promise<void> {
    let done = 0;
    while (done < into.length) {
        const want = Math.min(into.length - done, READ_CHUNK_BYTES);
        const { bytesRead } = await handle.read(into, done, want, position + done);
        if (bytesRead === 0) {
            throw new ModelFormatError(file, `unexpected end of file at byte ${position + done} (file changed while reading?)`);
        }
        done += bytesRead;
    }
}

function checkLoadable(file: string, entry: TensorEntry): asserts entry is TensorEntry & { dtype: LoadableDtype } {
    if (!(LOADABLE_DTYPES as readonly string[]).includes(entry.dtype)) {
        throw new ModelFormatError(
            file,
            `tensor "${entry.name}" has dtype ${entry.dtype}, which does not load as float32 (loadable: ${LOADABLE_DTYPES.join(", ")})`,
            entry.name,
        );
    }
}

/** Reads one tensor described by `entry` from an open file, converting it to float32. */
async function readTensorFrom(handle: FileHandle, file: string, entry: TensorEntry): Promise<Tensor> {
    checkLoadable(file, entry);
    const count = shapeSize(entry.shape);
    const data = new Float32Array(count);
    if (entry.dtype === "F32") {
        await readExactly(handle, file, new Uint8Array(data.buffer), entry.begin);
        return { shape: [...entry.shape], data };
    }
    const chunkElements = Math.min(count, READ_CHUNK_BYTES / 2);
    const scratch = new Uint16Array(chunkElements);
    const decode = entry.dtype === "BF16" ? decodeBf16 : decodeF16;
    for (let done = 0; done < count; done += chunkElements) {
        const n = Math.min(chunkElements, count - done);
        const bytes = new Uint8Array(scratch.buffer, 0, n * 2);
        await readExactly(handle, file, bytes, entry.begin + done * 2);
        decode(scratch.subarray(0, n), data, done);
    }
    return { shape: [...entry.shape], data };
}

/** A safetensors file opened for reading tensors one by one. Close it when done. */
export class SafetensorsFile {
    private constructor(
        readonly header: SafetensorsHeader,
        private readonly handle: FileHandle,
    ) {}

    static async open(file: string): Promise<SafetensorsFile> {
        assertLittleEndian();
        const handle = await openForRead(file);
        try {
            return new SafetensorsFile(await readHeaderFrom(handle, file), handle);
        } catch (err) {
            await handle.close();
            throw err;
        }
    }

    get file(): string {
        return this.header.file;
    }

    /** Tensor names in header order. */
    get names(): string[] {
        return [...this.header.tensors.keys()];
    }

    /** Loads one tensor as float32. */
    async load(name: string): Promise<Tensor> {
        const entry = this.header.tensors.get(name);
        if (entry === undefined) throw new ModelFormatError(this.file, `no tensor "${name}" in this file`, name);
        return readTensorFrom(this.handle, this.file, entry);
    }

    async close(): Promise<void> {
        await this.handle.close();
    }
}

/**
 * Reads tensors of a safetensors file as float32: all of them, or only `names` (in that
 * order; a name absent from the file is an error).
 */
export async function readSafetensors(file: string, names?: readonly string[]): Promise<TensorMap> {
    const st = await SafetensorsFile.open(file);
    try {
        const out: TensorMap = new Map();
        for (const name of names ?? st.names) out.set(name, await st.load(name));
        return out;
    } finally {
        await st.close();
    }
}

/** Decodes a whole safetensors file held in memory (small files, tests). */
export function decodeSafetensors(bytes: Uint8Array, file = "<buffer>"): { tensors: TensorMap; metadata: Record<string, string> | null } {
    assertLittleEndian();
    if (bytes.length < 8) {
        throw new ModelFormatError(file, `truncated: ${bytes.length} bytes, but a safetensors file starts with an 8-byte header length`);
    }
    const length = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
    if (length > BigInt(bytes.length - 8)) {
        throw new ModelFormatError(file, `header length ${length} exceeds the file size (${bytes.length} bytes): truncated or not a safetensors file`);
    }
    const header = parseSafetensorsHeader(file, bytes.subarray(8, 8 + Number(length)), bytes.length);
    const tensors: TensorMap = new Map();
    for (const entry of header.tensors.values()) {
        checkLoadable(file, entry);
        const count = shapeSize(entry.shape);
        // Copy first: the tensor's bytes need not be aligned for a typed-array view.
        const raw = bytes.slice(entry.begin, entry.end);
        let data: Float32Array;
        if (entry.dtype === "F32") {
            data = new Float32Array(raw.buffer, 0, count);
        } else {
            data = new Float32Array(count);
            (entry.dtype === "BF16" ? decodeBf16 : decodeF16)(new Uint16Array(raw.buffer, 0, count), data);
        }
        tensors.set(entry.name, { shape: [...entry.shape], data });
    }
    return { tensors, metadata: header.metadata };
}

/** Normalises any TensorSource to name/tensor pairs. */
export function tensorEntries(tensors: TensorSource): [string, Tensor][] {
    if (tensors instanceof Map) return [...tensors.entries()];
    if (Symbol.iterator in tensors) {
        return [...(tensors as Iterable<readonly [string, Tensor]>)].map(([k, v]) => [k, v]);
    }
    return Object.entries(tensors as Record<string, Tensor>);
}

/** Options of the writers. */
export interface WriteSafetensorsOptions {
    /** Storage dtype: "f32" (exact) or "bf16" (round to nearest even). Default "f32". */
    dtype?: WriteDtype;
    /** __metadata__ strings; default {format: "pt"}, which transformers expects. */
    metadata?: Record<string, string>;
}

function storageDtype(dtype: WriteDtype | undefined): { name: "F32" | "BF16"; size: number } {
    if (dtype === undefined || dtype === "f32") return { name: "F32", size: 4 };
    if (dtype === "bf16") return { name: "BF16", size: 2 };
    throw new RangeError(`safetensors: dtype must be "f32" or "bf16", got ${JSON.stringify(dtype)}`);
}

/** Checks a tensor before it is written; the message names the tensor. */
export function checkTensor(name: string, t: Tensor, where: string): void {
    if (!(t.data instanceof Float32Array)) throw new TypeError(`${where}: tensor "${name}": data must be a Float32Array`);
    if (!Array.isArray(t.shape) || !t.shape.every(isCount)) {
        throw new TypeError(`${where}: tensor "${name}": shape must be an array of non-negative integers`);
    }
    if (shapeSize(t.shape) !== t.data.length) {
        throw new RangeError(
            `${where}: tensor "${name}": shape [${t.shape.join(", ")}] has ${shapeSize(t.shape)} elements but data has ${t.data.length}`,
        );
    }
}

/** The byte size a set of tensors takes in the data section at `dtype`. */
export function tensorBytes(t: Tensor, dtype?: WriteDtype): number {
    return t.data.length * storageDtype(dtype).size;
}

function buildHeader(entries: [string, Tensor][], dtypeName: string, size: number, metadata: Record<string, string>): Uint8Array {
    const header: Record<string, unknown> = { __metadata__: metadata };
    let offset = 0;
    for (const [name, t] of entries) {
        if (name === "__metadata__") throw new RangeError(`safetensors: "__metadata__" is reserved and cannot name a tensor`);
        const bytes = t.data.length * size;
        header[name] = { dtype: dtypeName, shape: t.shape, data_offsets: [offset, offset + bytes] };
        offset += bytes;
    }
    const json = new TextEncoder().encode(JSON.stringify(header));
    // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
    const padded = Math.ceil(json.length / 8) * 8;
    const out = new Uint8Array(8 + padded).fill(0x20);
    new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
    out.set(json, 8);
    return out;
}

/**
 * Writes tensors to a safetensors file atomically (temporary file in the same folder,
 * then rename). Tensors are stored in the given order.
 */
export async function writeSafetensors(file: string, tensors: TensorSource, options: WriteSafetensorsOptions = {}): Promise<void> {
    assertLittleEndian();
    const entries = tensorEntries(tensors);
    const { name: dtypeName, size } = storageDtype(options.dtype);
    const seen = new Set<string>();
    for (const [name, t] of entries) {
        checkTensor(name, t, file);
        if (seen.has(name)) throw new RangeError(`${file}: tensor "${name}" given twice`);
        seen.add(name);
    }
    const header = buildHeader(entries, dtypeName, size, options.metadata ?? { format: "pt" });
    await writeFileAtomic(file, async (handle) => {
        await handle.write(header);
        const scratch = dtypeName === "BF16" ? new Uint16Array(WRITE_CHUNK_ELEMENTS) : null;
        for (const [, t] of entries) {
            for (let done = 0; done < t.data.length; done += WRITE_CHUNK_ELEMENTS) {
                const part = t.data.subarray(done, Math.min(t.data.length, done + WRITE_CHUNK_ELEMENTS));
                if (scratch === null) {
                    await writeAll(handle, new Uint8Array(part.buffer, part.byteOffset, part.byteLength));
                } else {
                    encodeBf16(part, scratch);
                    await writeAll(handle, new Uint8Array(scratch.buffer, 0, part.length * 2));
                }
            }
        }
    });
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, done, bytes.length - done);
        done += bytesWritten;
    }
}

/** Encodes tensors as a safetensors file in memory (small files, tests). */
export function encodeSafetensors(tensors: TensorSource, options: WriteSafetensorsOptions = {}): Uint8Array {
    assertLittleEndian();
    const entries = tensorEntries(tensors);
    const { name: dtypeName, size } = storageDtype(options.dtype);
    for (const [name, t] of entries) checkTensor(name, t, "<buffer>");
    const header = buildHeader(entries, dtypeName, size, options.metadata ?? { format: "pt" });
    let total = header.length;
    for (const [, t] of entries) total += t.data.length * size;
    const out = new Uint8Array(total);
    out.set(header, 0);
    let offset = header.length;
    for (const [, t] of entries) {
        if (dtypeName === "F32") {
            out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), offset);
        } else {
            const bits = new Uint16Array(t.data.length);
            encodeBf16(t.data, bits);
            out.set(new Uint8Array(bits.buffer), offset);
        }
        offset += t.data.length * size;
    }
    return out;
}
