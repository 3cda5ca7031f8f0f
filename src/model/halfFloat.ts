/**
 * 16-bit float formats of checkpoint files, converted to and from float32.
 *
 * - bf16 is the upper half of a float32: decoding is a shift; encoding rounds the lower
 *   16 bits to nearest, ties to even, and keeps NaN a NaN (a plain truncation of a NaN
 *   whose payload sits in the low bits would turn it into infinity).
 * - f16 (IEEE 754 binary16) is decoded exactly, subnormals, infinities and NaN included,
 *   through a 65536-entry table built on first use.
 */

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** The bf16 bit pattern (round to nearest even) of a number, after rounding it to float32. */
export function float32ToBf16Bits(x: number): number {
    f32Scratch[0] = x;
    return roundToBf16(u32Scratch[0]!);
}

/** The float32 value of a bf16 bit pattern. */
export function bf16BitsToFloat32(bits: number): number {
    u32Scratch[0] = (bits & 0xffff) << 16;
    return f32Scratch[0]!;
}

function roundToBf16(u: number): number {
    if ((u & 0x7fffffff) > 0x7f800000) {
        // NaN: keep sign and the top payload bits, force the quiet bit so it stays a NaN.
        return ((u >>> 16) | 0x0040) & 0xffff;
    }
    // Adding 0x7fff plus the lowest kept bit rounds to nearest with ties to even; an
    // overflow past the largest finite value correctly lands on infinity.
    return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Encodes float32 values to bf16 bit patterns: out[i] = bf16(src[i]). */
export function encodeBf16(src: Float32Array, out: Uint16Array): void {
    if (out.length < src.length) throw new RangeError("encodeBf16: output shorter than input");
    const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
    for (let i = 0; i < bits.length; i++) out[i] = roundToBf16(bits[i]!);
}

/** Decodes bf16 bit patterns into out[outOffset ...]. */
export function decodeBf16(src: Uint16Array, out: Float32Array, outOffset = 0): void {
    const bits = new Uint32Array(out.buffer, out.byteOffset + outOffset * 4, src.length);
    for (let i = 0; i < src.length; i++) bits[i] = src[i]! << 16;
}

let f16Table: Float32Array | null = null;

function buildF16Table(): Float32Array {
    const table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
        const sign = h & 0x8000 ? -1 : 1;
        const exponent = (h >>> 10) & 0x1f;
        const mantissa = h & 0x3ff;
        let value: number;
        if (exponent === 0) {
            value = mantissa * 2 ** -24; // zero or subnormal: m · 2^-14 · 2^-10
        } else if (exponent === 31) {
            value = mantissa === 0 ? Infinity : NaN;
        } else {
            value = (1 + mantissa / 1024) * 2 ** (exponent - 15);
        }
        table[h] = sign * value; // -0 for 0x8000
    }
    return table;
}

/** The float32 value of an IEEE binary16 bit pattern. */
export function f16BitsToFloat32(bits: number): number {
    f16Table ??= buildF16Table();
    return f16Table[bits & 0xffff]!;
}

/** Decodes f16 bit patterns into out[outOffset ...]. */
export function decodeF16(src: Uint16Array, out: Float32Array, outOffset = 0): void {
    f16Table ??= buildF16Table();
    const table = f16Table;
    for (let i = 0; i < src.length; i++) out[outOffset + i] = table[src[i]!]!;
}
