/**
 * The linear-layer products against a float64 reference, and their argument
 * validation. (The C++ test covers every sgemm transpose and stride.)
 */
import { describe, expect, it } from "vitest";
import { kernels } from "../../src/index.js";
import { expectClose, randomFloats, seededRandom } from "../helpers/numeric.js";

/** y[i,j] = Σ_p a(i,p)·b(p,j) in float64, with accessors for any layout. */
function gemm64(
    m: number,
    n: number,
    k: number,
    a: (i: number, p: number) => number,
    b: (p: number, j: number) => number,
): Float64Array {
    const out = new Float64Array(m * n);
    for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
            let acc = 0;
            for (let p = 0; p < k; p++) acc += a(i, p) * b(p, j);
            out[i * n + j] = acc;
        }
    return out;
}

const shapes: [number, number, number][] = [
    [1, 1, 1],
    [7, 13, 5],
    [130, 37, 300],
    [6, 16, 256],
    [33, 130, 7],
];

describe("matmul", () => {
    const rand = seededRandom(7);
    for (const [m, k, n] of shapes) {
        it(`forward, backward input and weight at m=${m} k=${k} n=${n}`, async () => {
            const x = randomFloats(rand, m * k);
            const weight = randomFloats(rand, n * k);
            const bias = randomFloats(rand, n);
            const dy = randomFloats(rand, m * n);
            const tol = { atol: 1e-5 * Math.sqrt(Math.max(m, n, k)), rtol: 5e-4 };

            const { y } = await kernels.matmul({ x, weight, bias, m, k, n });
            const yRef = gemm64(m, n, k, (i, p) => x[i * k + p]!, (p, j) => weight[j * k + p]!);
            for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) yRef[i * n + j]! += bias[j]!;
            expectClose("y", y, yRef, tol);

            const { dx } = await kernels.matmulBackwardInput({ dy, weight, m, k, n });
            expectClose("dx", dx, gemm64(m, k, n, (i, p) => dy[i * n + p]!, (p, j) => weight[p * k + j]!), tol);

            const { dWeight, dBias } = await kernels.matmulBackwardWeight({ dy, x, m, k, n, withBias: true });
            expectClose("dWeight", dWeight, gemm64(n, k, m, (i, p) => dy[p * n + i]!, (p, j) => x[p * k + j]!), tol);
            const dBiasRef = new Float64Array(n);
            for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) dBiasRef[j]! += dy[i * n + j]!;
            expectClose("dBias", dBias!, dBiasRef, tol);
        });
    }

    it("runs off the JS thread: the event loop turns while a large product runs", async () => {
        const m = 512, k = 1024, n = 2048;
        let ticks = 0;
        const timer = setInterval(() => ticks++, 1);
        const pending = kernels.matmul({ x: new Float32Array(m * k), weight: new Float32Array(n * k), m, k, n });
        await new Promise((resolve) => setTimeout(resolve, 5));
        const { y } = await pending;
        clearInterval(timer);
        expect(y.length).toBe(m * n);
        expect(ticks).toBeGreaterThan(0);
    });
});

describe("matmul argument validation", () => {
    const base = () => ({ x: new Float32Array(6), weight: new Float32Array(12), m: 2, k: 3, n: 4 });

    it("rejects a wrong array kind, naming the field", async () => {
        await expect(kernels.matmul({ ...base(), x: new Float64Array(6) as unknown as Float32Array })).rejects.toThrow(
            /matmul: x must be a Float32Array \(got Float64Array\)/,
        );
    });
    it("rejects a length that does not match the shape", async () => {
        await expect(kernels.matmul({ ...base(), weight: new Float32Array(11) })).rejects.toThrow(RangeError);
        await expect(kernels.matmul({ ...base(), weight: new Float32Array(11) })).rejects.toThrow(/weight has length 11, expected 12/);
    });
    it("rejects a bias of the wrong length", async () => {
        await expect(kernels.matmul({ ...base(), bias: new Float32Array(3) })).rejects.toThrow(/bias has length 3, expected 4/);
    });
    it("rejects missing, fractional and non-positive dimensions", async () => {
        const { m: _m, ...noM } = base();
        await expect(kernels.matmul(noM as never)).rejects.toThrow(/m is required/);
        await expect(kernels.matmul({ ...base(), k: 1.5 })).rejects.toThrow(/k must be an integer/);
        await expect(kernels.matmul({ ...base(), n: 0 })).rejects.toThrow(/n = 0.* out of range/);
        await expect(kernels.matmul({ ...base(), m: Number.NaN })).rejects.toThrow(/m must be finite/);
    });
    it("rejects a non-object argument", async () => {
        await expect(kernels.matmul(42 as never)).rejects.toThrow(TypeError);
    });
    it("checks the backward forms too", async () => {
        await expect(
            kernels.matmulBackwardInput({ dy: new Float32Array(7), weight: new Float32Array(12), m: 2, k: 3, n: 4 }),
        ).rejects.toThrow(/matmulBackwardInput: dy has length 7, expected 8/);
        await expect(
            kernels.matmulBackwardWeight({ dy: new Float32Array(8), x: new Int32Array(6) as never, m: 2, k: 3, n: 4 }),
        ).rejects.toThrow(/matmulBackwardWeight: x must be a Float32Array/);
    });
});

describe("matmul into a caller's buffer", () => {
    it("writes out in place, returns it as y, and checks it", async () => {
        const m = 3, k = 4, n = 5;
        const rand = seededRandom(3);
        const x = randomFloats(rand, m * k), weight = randomFloats(rand, n * k);
        const out = new Float32Array(m * n).fill(Number.NaN);
        const { y } = await kernels.matmul({ x, weight, out, m, k, n });
        expect(y).toBe(out);
        const { y: fresh } = await kernels.matmul({ x, weight, m, k, n });
        expect(Array.from(out)).toEqual(Array.from(fresh));
        await expect(kernels.matmul({ x, weight, out: new Float32Array(14), m, k, n })).rejects.toThrow(/out has length 14, expected 15/);
        const square = new Float32Array(4);
        await expect(kernels.matmul({ x: square, weight: new Float32Array(4), out: square, m: 2, k: 2, n: 2 })).rejects.toThrow(
            /out must not share memory with x/,
        );
    });
});
