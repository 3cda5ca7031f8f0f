/**
 * The fused log-prob kernel (logprobs, logprobsBackward) against a float64
 * reference on awkward sizes and chunkings, the reference backward against
 * central finite differences, and argument validation.
 */
import { describe, expect, it } from "vitest";
import { kernels } from "../../src/index.js";
import { logprobsBackwardRef, logprobsRef, type LogprobShape } from "../helpers/logprobReference.js";
import { expectClose, FP32, FP32_CHUNKED, randomFloats, randomInts, seededRandom } from "../helpers/numeric.js";

interface Case {
    n: number;
    d: number;
    v: number;
    /** undefined: the default (4096) */
    vocabChunk?: number;
    temperature: number;
    /** magnitude of the random hidden and weight entries */
    scale: number;
}

const cases: Case[] = [
    { n: 1, d: 8, v: 1, temperature: 1, scale: 1 },
    { n: 1, d: 16, v: 37, vocabChunk: 64, temperature: 0.7, scale: 1 },
    { n: 7, d: 24, v: 37, vocabChunk: 8, temperature: 1.3, scale: 1 },
    { n: 7, d: 8, v: 37, vocabChunk: 1, temperature: 1, scale: 1 },
    { n: 130, d: 32, v: 1000, vocabChunk: 64, temperature: 0.9, scale: 0.5 },
    { n: 7, d: 96, v: 5003, vocabChunk: 4096, temperature: 0.6, scale: 0.3 },
    { n: 130, d: 8, v: 5003, temperature: 1.7, scale: 1 },
    { n: 5, d: 64, v: 301, vocabChunk: 50, temperature: 0.05, scale: 0.5 },
];

function describeCase(c: Case): string {
    return `N=${c.n} D=${c.d} V=${c.v} chunk=${c.vocabChunk ?? "default"} T=${c.temperature}`;
}

describe("logprobs", () => {
    const rand = seededRandom(20240611);
    for (const c of cases) {
        it(`forward and backward at ${describeCase(c)}`, async () => {
            const hidden = randomFloats(rand, c.n * c.d, -c.scale, c.scale);
            const weight = randomFloats(rand, c.v * c.d, -c.scale, c.scale);
            const targets = randomInts(rand, c.n, c.v);
            if (c.n > 1) targets[1] = c.v - 1; // the last row of the last chunk
            const shape: LogprobShape = { n: c.n, d: c.d, v: c.v, temperature: c.temperature };
            const chunk = c.vocabChunk ?? 4096;
            const tol = chunk < c.v ? FP32_CHUNKED : FP32;
            const args = { hidden, weight, targets, temperature: c.temperature, vocabChunk: c.vocabChunk };

            const ref = logprobsRef(hidden, weight, targets, shape);
            const withEntropy = await kernels.logprobs({ ...args, withEntropy: true });
            expectClose("logp", withEntropy.logp, ref.logp, tol);
            expectClose("lse", withEntropy.lse, ref.lse, tol);
            expectClose("entropy", withEntropy.entropy!, ref.entropy, tol);
            const plain = await kernels.logprobs(args);
            expect(plain.entropy).toBeUndefined();
            expectClose("logp without entropy", plain.logp, ref.logp, tol);

            // Some rows carry no gradient (prompt tokens); they must come back as exact zeros.
            const dLogp = randomFloats(rand, c.n);
            for (let i = 0; i < c.n; i += 3) dLogp[i] = 0;
            if (c.n === 1) dLogp[0] = 0.8;
            const back = await kernels.logprobsBackward({ ...args, lse: withEntropy.lse, dLogp });
            const backRef = logprobsBackwardRef(hidden, weight, targets, dLogp, shape);
            expectClose("dHidden", back.dHidden, backRef.dHidden, tol);
            expectClose("dWeight", back.dWeight, backRef.dWeight, tol);
            for (let i = 0; i < c.n; i++) {
                if (dLogp[i] !== 0) continue;
                for (let k = 0; k < c.d; k++) expect(back.dHidden[i * c.d + k]).toBe(0);
            }
        });
    }

    it("the reference backward matches central finite differences of the reference forward", async () => {
        const r = seededRandom(5);
        const shape: LogprobShape = { n: 4, d: 6, v: 11, temperature: 0.8 };
        const hidden = Float64Array.from(randomFloats(r, shape.n * shape.d));
        const weight = Float64Array.from(randomFloats(r, shape.v * shape.d));
        const targets = randomInts(r, shape.n, shape.v);
        const dLogp = Float64Array.from(randomFloats(r, shape.n));
        const objective = () => {
            const { logp } = logprobsRef(hidden, weight, targets, shape);
            return logp.reduce((acc, lp, i) => acc + dLogp[i]! * lp, 0);
        };
        const fd = (x: Float64Array) => {
            const g = new Float64Array(x.length);
            const h = 1e-6;
            for (let i = 0; i < x.length; i++) {
                const keep = x[i]!;
                x[i] = keep + h;
                const up = objective();
                x[i] = keep - h;
                const down = objective();
                x[i] = keep;
                g[i] = (up - down) / (2 * h);
            }
            return g;
        };
        const analytic = logprobsBackwardRef(hidden, weight, targets, dLogp, shape);
        const tight = { atol: 1e-8, rtol: 1e-6 };
        expectClose("dHidden (reference) vs FD", analytic.dHidden, fd(hidden), tight);
        expectClose("dWeight (reference) vs FD", analytic.dWeight, fd(weight), tight);

        // And the native backward against the same finite differences.
        const args = {
            hidden: Float32Array.from(hidden),
            weight: Float32Array.from(weight),
            targets,
            temperature: shape.temperature,
            vocabChunk: 4,
        };
        const { lse } = await kernels.logprobs(args);
        const native = await kernels.logprobsBackward({ ...args, lse, dLogp: Float32Array.from(dLogp) });
        expectClose("dHidden (native) vs FD", native.dHidden, fd(hidden), FP32_CHUNKED);
        expectClose("dWeight (native) vs FD", native.dWeight, fd(weight), FP32_CHUNKED);
    });

    it("returns empty arrays for N = 0", async () => {
        const weight = randomFloats(rand, 5 * 4);
        const empty = { hidden: new Float32Array(0), weight, targets: new Int32Array(0) };
        const out = await kernels.logprobs({ ...empty, withEntropy: true });
        expect(out.logp.length).toBe(0);
        expect(out.lse.length).toBe(0);
        expect(out.entropy!.length).toBe(0);
        const back = await kernels.logprobsBackward({ ...empty, lse: new Float32Array(0), dLogp: new Float32Array(0) });
        expect(back.dHidden.length).toBe(0);
        expect(Array.from(back.dWeight)).toEqual(new Array(20).fill(0));
    });
});

describe("logprobs argument validation", () => {
    // N = 2, D = 3, V = 4
    const base = () => ({
        hidden: new Float32Array(6),
        weight: new Float32Array(12),
        targets: new Int32Array([0, 3]),
    });
    const backward = () => ({ ...base(), lse: new Float32Array(2), dLogp: new Float32Array(2) });
    const bad = (x: unknown) => x as Float32Array;

    it("rejects a missing options object", async () => {
        await expect(kernels.logprobs(undefined as never)).rejects.toThrow(TypeError);
    });
    it("rejects a wrong array kind for hidden", async () => {
        await expect(kernels.logprobs({ ...base(), hidden: bad(new Float64Array(6)) })).rejects.toThrow(
            /logprobs: hidden must be a Float32Array \(got Float64Array\)/,
        );
    });
    it("rejects a missing weight", async () => {
        const { hidden, targets } = base();
        await expect(kernels.logprobs({ hidden, targets } as never)).rejects.toThrow(
            /logprobs: weight is required/,
        );
    });
    it("rejects targets that are not an Int32Array", async () => {
        const args = { ...base(), targets: new Float32Array([0, 1]) as unknown as Int32Array };
        await expect(kernels.logprobs(args)).rejects.toThrow(/targets must be a Int32Array/);
        await expect(kernels.logprobs(args)).rejects.toBeInstanceOf(TypeError);
    });
    it("rejects a hidden length that is not N × D", async () => {
        const p = kernels.logprobs({ ...base(), hidden: new Float32Array(7) });
        await expect(p).rejects.toBeInstanceOf(RangeError);
        await expect(kernels.logprobs({ ...base(), hidden: new Float32Array(7) })).rejects.toThrow(
            /logprobs: hidden has length 7/,
        );
    });
    it("rejects a weight length that is not V × D", async () => {
        await expect(kernels.logprobs({ ...base(), weight: new Float32Array(13) })).rejects.toThrow(
            /logprobs: weight has length 13.*D = hidden.length \/ N = 3/,
        );
        await expect(kernels.logprobs({ ...base(), weight: new Float32Array(0) })).rejects.toBeInstanceOf(RangeError);
    });
    it("rejects targets out of [0, V)", async () => {
        await expect(kernels.logprobs({ ...base(), targets: new Int32Array([0, 4]) })).rejects.toThrow(
            /logprobs: targets\[1\] = 4 is out of range \[0, 4\)/,
        );
        await expect(kernels.logprobs({ ...base(), targets: new Int32Array([-1, 0]) })).rejects.toBeInstanceOf(
            RangeError,
        );
    });
    it("rejects a temperature that is not finite and > 0", async () => {
        for (const temperature of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1e-50, 1e300]) {
            await expect(kernels.logprobs({ ...base(), temperature })).rejects.toThrow(/logprobs: temperature/);
            await expect(kernels.logprobs({ ...base(), temperature })).rejects.toBeInstanceOf(RangeError);
        }
        await expect(kernels.logprobs({ ...base(), temperature: "1" as never })).rejects.toBeInstanceOf(TypeError);
    });
    it("rejects a vocabChunk below 1 or not an integer", async () => {
        for (const vocabChunk of [0, -3, 2.5]) {
            await expect(kernels.logprobs({ ...base(), vocabChunk })).rejects.toThrow(/logprobs: vocabChunk/);
        }
    });
    it("rejects a withEntropy that is not a boolean", async () => {
        await expect(kernels.logprobs({ ...base(), withEntropy: 1 as never })).rejects.toThrow(
            /logprobs: withEntropy must be a boolean/,
        );
    });
    it("rejects an lse of the wrong length or with non-finite values", async () => {
        await expect(kernels.logprobsBackward({ ...backward(), lse: new Float32Array(3) })).rejects.toThrow(
            /logprobsBackward: lse has length 3, expected 2/,
        );
        await expect(
            kernels.logprobsBackward({ ...backward(), lse: new Float32Array([0, Number.NaN]) }),
        ).rejects.toThrow(/logprobsBackward: lse\[1\] is not finite/);
    });
    it("rejects a dLogp that is missing or of the wrong length", async () => {
        const { lse, ...rest } = backward();
        await expect(kernels.logprobsBackward({ ...rest, lse, dLogp: new Float32Array(1) })).rejects.toThrow(
            /logprobsBackward: dLogp has length 1, expected 2/,
        );
        await expect(kernels.logprobsBackward({ ...base(), lse } as never)).rejects.toThrow(
            /logprobsBackward: dLogp is required/,
        );
    });
    it("validates the shared fields in backward too", async () => {
        await expect(
            kernels.logprobsBackward({ ...backward(), targets: new Int32Array([9, 0]) }),
        ).rejects.toThrow(/logprobsBackward: targets\[0\] = 9/);
    });
});
