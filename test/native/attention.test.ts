/**
 * Causal grouped-query attention (forward, backward, KV-cache decode) against
 * the float64 reference in test/helpers/attentionReference.ts, a finite-
 * difference check of the backward, and one test per kind of bad argument.
 */
import { describe, expect, it } from "vitest";
import { kernels } from "../../src/index.js";
import {
    attentionBackwardRef,
    attentionDecodeRef,
    attentionForwardRef,
    type AttentionRefShape,
} from "../helpers/attentionReference.js";
import { expectClose, randomFloats, seededRandom } from "../helpers/numeric.js";

interface Case {
    lengths: number[];
    numHeads: number;
    numKvHeads: number;
    headDim: number;
}

const cases: Case[] = [
    { lengths: [1], numHeads: 4, numKvHeads: 2, headDim: 8 },
    { lengths: [7], numHeads: 7, numKvHeads: 1, headDim: 13 },
    { lengths: [130], numHeads: 3, numKvHeads: 3, headDim: 64 },
    { lengths: [1, 40, 0, 89], numHeads: 4, numKvHeads: 2, headDim: 128 },
    { lengths: [3, 1, 66], numHeads: 7, numKvHeads: 1, headDim: 64 },
    { lengths: [9, 21], numHeads: 2, numKvHeads: 1, headDim: 256 },
];

function cuSeqlensOf(lengths: number[]): Int32Array {
    const cu = new Int32Array(lengths.length + 1);
    lengths.forEach((len, i) => (cu[i + 1] = cu[i]! + len));
    return cu;
}

function makeInputs(rand: () => number, c: Case) {
    const cuSeqlens = cuSeqlensOf(c.lengths);
    const n = cuSeqlens[c.lengths.length]!;
    const { numHeads, numKvHeads, headDim } = c;
    return {
        q: randomFloats(rand, n * numHeads * headDim),
        k: randomFloats(rand, n * numKvHeads * headDim),
        v: randomFloats(rand, n * numKvHeads * headDim),
        dOut: randomFloats(rand, n * numHeads * headDim),
        cuSeqlens,
        numHeads,
        numKvHeads,
        headDim,
    };
}

type Heads = { cuSeqlens: Int32Array; numHeads: number; numKvHeads: number; headDim: number };

function refShape(args: Heads): AttentionRefShape {
    return { ...args, scale: 1 / Math.sqrt(args.headDim) };
}

/** Native forward + backward against the float64 reference at `scale` (default 1/√Dh). */
async function checkAgainstReference(inputs: ReturnType<typeof makeInputs>, scale?: number) {
    const { dOut, ...args } = inputs;
    const shape = scale === undefined ? refShape(args) : { ...refShape(args), scale };
    const call = scale === undefined ? args : { ...args, scale };
    const { out, lse } = await kernels.attention(call);
    const want = attentionForwardRef(args.q, args.k, args.v, shape);
    expectClose("out", out, want.out);
    expectClose("lse", lse, want.lse);

    const grads = await kernels.attentionBackward({ ...call, out, lse, dOut });
    const wantGrads = attentionBackwardRef(args.q, args.k, args.v, dOut, shape);
    expectClose("dq", grads.dq, wantGrads.dq);
    expectClose("dk", grads.dk, wantGrads.dk);
    expectClose("dv", grads.dv, wantGrads.dv);
}

describe("attention forward and backward", () => {
    const rand = seededRandom(2024);
    for (const c of cases) {
        const label = `lengths [${c.lengths}] H=${c.numHeads} Hkv=${c.numKvHeads} Dh=${c.headDim}`;
        it(`matches the float64 reference at ${label}`, async () => {
            await checkAgainstReference(makeInputs(rand, c));
        });
    }

    it("honours an explicit scale", async () => {
        const c = { lengths: [5, 70], numHeads: 4, numKvHeads: 2, headDim: 16 };
        await checkAgainstReference(makeInputs(rand, c), 0.9);
    });

    it("backward agrees with central differences of L = Σ dOut·out", async () => {
        const small = { lengths: [5, 1, 7], numHeads: 4, numKvHeads: 2, headDim: 8 };
        const { dOut, ...args } = makeInputs(rand, small);
        const shape = refShape(args);
        const { out, lse } = await kernels.attention(args);
        const grads = await kernels.attentionBackward({ ...args, out, lse, dOut });
        const textbook = attentionBackwardRef(args.q, args.k, args.v, dOut, shape);
        const inputs = {
            q: Float64Array.from(args.q),
            k: Float64Array.from(args.k),
            v: Float64Array.from(args.v),
        };
        const loss = (): number => {
            const o = attentionForwardRef(inputs.q, inputs.k, inputs.v, shape).out;
            let sum = 0;
            for (let i = 0; i < o.length; i++) sum += dOut[i]! * o[i]!;
            return sum;
        };
        const h = 1e-5;
        for (const [name, native, ref] of [
            ["q", grads.dq, textbook.dq],
            ["k", grads.dk, textbook.dk],
            ["v", grads.dv, textbook.dv],
        ] as const) {
            const x = inputs[name];
            for (let trial = 0; trial < 6; trial++) {
                const i = Math.floor(rand() * x.length);
                const saved = x[i]!;
                x[i] = saved + h;
                const up = loss();
                x[i] = saved - h;
                const down = loss();
                x[i] = saved;
                const fd = (up - down) / (2 * h);
                expectClose(`d${name}[${i}] native vs finite difference`, [native[i]!], [fd]);
                expectClose(`d${name}[${i}] reference vs finite difference`, [ref[i]!], [fd], {
                    atol: 1e-8,
                    rtol: 1e-6,
                });
            }
        }
    });
});

describe("attentionDecode", () => {
    const rand = seededRandom(99);
    for (const [numHeads, numKvHeads, headDim] of [
        [7, 1, 13],
        [4, 2, 64],
        [3, 3, 8],
    ] as const) {
        const label = `H=${numHeads} Hkv=${numKvHeads} Dh=${headDim}`;
        it(`matches the reference and the last row of full attention at ${label}`, async () => {
            const cacheLens = new Int32Array([1, 9, 70]);
            const cacheCapacity = 70;
            const s = cacheLens.length;
            const q = randomFloats(rand, s * numHeads * headDim);
            const kCache = randomFloats(rand, s * cacheCapacity * numKvHeads * headDim);
            const vCache = randomFloats(rand, s * cacheCapacity * numKvHeads * headDim);
            const args = { q, kCache, vCache, cacheLens, cacheCapacity, numHeads, numKvHeads, headDim };
            const got = await kernels.attentionDecode(args);
            const scale = 1 / Math.sqrt(headDim);
            const want = attentionDecodeRef(q, kCache, vCache, { ...args, scale });
            expectClose("out", got.out, want.out);
            expectClose("lse", got.lse, want.lse);

            // Each sequence's cache, as a packed batch whose last token carries the query.
            const row = numKvHeads * headDim;
            const qRow = numHeads * headDim;
            for (let seq = 0; seq < s; seq++) {
                const len = cacheLens[seq]!;
                const base = seq * cacheCapacity * row;
                const qFull = randomFloats(rand, len * qRow);
                qFull.set(q.subarray(seq * qRow, (seq + 1) * qRow), (len - 1) * qRow);
                const full = await kernels.attention({
                    q: qFull,
                    k: kCache.slice(base, base + len * row),
                    v: vCache.slice(base, base + len * row),
                    cuSeqlens: new Int32Array([0, len]),
                    numHeads,
                    numKvHeads,
                    headDim,
                });
                expectClose(
                    `seq ${seq} out vs last row`,
                    got.out.subarray(seq * qRow, (seq + 1) * qRow),
                    full.out.subarray((len - 1) * qRow, len * qRow),
                );
                expectClose(
                    `seq ${seq} lse vs last row`,
                    got.lse.subarray(seq * numHeads, (seq + 1) * numHeads),
                    full.lse.subarray((len - 1) * numHeads, len * numHeads),
                );
            }
        });
    }
});

describe("attention argument validation", () => {
    const rand = seededRandom(5);
    const base = makeInputs(rand, { lengths: [3, 4], numHeads: 4, numKvHeads: 2, headDim: 8 });
    const { dOut, ...fwd } = base;

    type ErrorKind = typeof TypeError | typeof RangeError;
    async function expectRejects(promise: Promise<unknown>, kind: ErrorKind, field: RegExp) {
        const error = await promise.then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(error, "should reject").toBeInstanceOf(kind);
        expect((error as Error).message).toMatch(field);
    }

    it("rejects a wrong array type", async () => {
        const q = new Float64Array(fwd.q) as unknown as Float32Array;
        await expectRejects(kernels.attention({ ...fwd, q }), TypeError, /\bq\b/);
        const cuSeqlens = [0, 3, 7] as unknown as Int32Array;
        await expectRejects(kernels.attention({ ...fwd, cuSeqlens }), TypeError, /cuSeqlens/);
    });

    it("rejects wrong lengths", async () => {
        await expectRejects(kernels.attention({ ...fwd, k: fwd.k.subarray(1) }), RangeError, /\bk has length/);
        await expectRejects(kernels.attention({ ...fwd, q: fwd.q.subarray(3) }), RangeError, /\bq has length/);
    });

    it("rejects numKvHeads that does not divide numHeads", async () => {
        await expectRejects(kernels.attention({ ...fwd, numKvHeads: 3 }), RangeError, /numKvHeads/);
    });

    it("rejects headDim 0 and 300", async () => {
        await expectRejects(kernels.attention({ ...fwd, headDim: 0 }), RangeError, /headDim/);
        await expectRejects(kernels.attention({ ...fwd, headDim: 300 }), RangeError, /headDim/);
    });

    it("rejects bad cuSeqlens", async () => {
        for (const cu of [[1, 3, 7], [0, 5, 3, 7], [0, 3, 6]]) {
            const cuSeqlens = new Int32Array(cu);
            await expectRejects(kernels.attention({ ...fwd, cuSeqlens }), RangeError, /cuSeqlens/);
        }
    });

    it("rejects a non-finite scale", async () => {
        await expectRejects(kernels.attention({ ...fwd, scale: Number.NaN }), RangeError, /scale/);
        await expectRejects(kernels.attention({ ...fwd, scale: Infinity }), RangeError, /scale/);
    });

    it("rejects bad backward inputs", async () => {
        const { out, lse } = await kernels.attention(fwd);
        const good = { ...fwd, out, lse, dOut };
        await expect(kernels.attentionBackward(good)).resolves.toBeDefined();
        const backward = (patch: object) => kernels.attentionBackward({ ...good, ...patch });
        await expectRejects(backward({ dOut: dOut.subarray(8) }), RangeError, /dOut/);
        await expectRejects(backward({ lse: new Int32Array(lse.length) }), TypeError, /lse/);
        await expectRejects(backward({ out: out.subarray(1) }), RangeError, /\bout\b/);
    });

    it("rejects bad decode inputs", async () => {
        const numHeads = 4, numKvHeads = 2, headDim = 8, cacheCapacity = 5;
        const decode = {
            q: randomFloats(rand, 2 * numHeads * headDim),
            kCache: randomFloats(rand, 2 * cacheCapacity * numKvHeads * headDim),
            vCache: randomFloats(rand, 2 * cacheCapacity * numKvHeads * headDim),
            cacheLens: new Int32Array([5, 2]),
            cacheCapacity,
            numHeads,
            numKvHeads,
            headDim,
        };
        await expect(kernels.attentionDecode(decode)).resolves.toBeDefined();
        const call = (patch: object) => kernels.attentionDecode({ ...decode, ...patch });
        await expectRejects(call({ cacheLens: new Int32Array([0, 2]) }), RangeError, /cacheLens\[0\]/);
        await expectRejects(call({ cacheLens: new Int32Array([5, 6]) }), RangeError, /cacheLens\[1\]/);
        await expectRejects(call({ kCache: decode.kCache.subarray(1) }), RangeError, /kCache/);
        await expectRejects(call({ vCache: new Float64Array(decode.vCache) }), TypeError, /vCache/);
        await expectRejects(call({ q: decode.q.subarray(2) }), RangeError, /\bq\b/);
        await expectRejects(call({ numKvHeads: 3 }), RangeError, /numKvHeads/);
        await expectRejects(call({ scale: Number.NaN }), RangeError, /scale/);
    });
});
