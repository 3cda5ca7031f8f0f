/**
 * Float64 reference for causal grouped-query attention over packed sequences,
 * written independently of the native kernels: full softmax rows (no online
 * softmax, no tiles) and the textbook backward
 *   dP = dO·Vᵀ,  dS = P ∘ (dP − rowsum(P ∘ dP)),
 *   dQ = scale·dS·K,  dK = scale·dSᵀ·Q,  dV = Pᵀ·dO.
 *
 * Layouts match the addon: q [N, H, Dh], k/v [N, Hkv, Dh], query head h reads
 * KV head ⌊h / (H / Hkv)⌋; decode caches are [S, C, Hkv, Dh].
 */

export interface AttentionRefShape {
    cuSeqlens: ArrayLike<number>;
    numHeads: number;
    numKvHeads: number;
    headDim: number;
    scale: number;
}

/** Probabilities of one query row (at qOff) against `n` keys starting at kOff, key stride `stride`. */
function rowSoftmax(
    q: ArrayLike<number>,
    qOff: number,
    k: ArrayLike<number>,
    kOff: number,
    stride: number,
    n: number,
    headDim: number,
    scale: number,
): { p: Float64Array; lse: number } {
    const scores = new Float64Array(n);
    let max = -Infinity;
    for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let d = 0; d < headDim; d++) dot += q[qOff + d]! * k[kOff + j * stride + d]!;
        scores[j] = dot * scale;
        max = Math.max(max, scores[j]!);
    }
    let sum = 0;
    for (let j = 0; j < n; j++) sum += Math.exp(scores[j]! - max);
    const lse = max + Math.log(sum);
    for (let j = 0; j < n; j++) scores[j] = Math.exp(scores[j]! - lse);
    return { p: scores, lse };
}

/** Visits every (sequence start, position, head) query row with its KV offsets. */
function forEachRow(
    shape: AttentionRefShape,
    visit: (row: number, kvStart: number, position: number) => void,
): void {
    const { cuSeqlens, numHeads, numKvHeads, headDim } = shape;
    const group = numHeads / numKvHeads;
    for (let s = 0; s + 1 < cuSeqlens.length; s++) {
        const t0 = cuSeqlens[s]!;
        for (let t = t0; t < cuSeqlens[s + 1]!; t++) {
            for (let h = 0; h < numHeads; h++) {
                const kvStart = t0 * numKvHeads * headDim + Math.floor(h / group) * headDim;
                visit(t * numHeads + h, kvStart, t - t0);
            }
        }
    }
}

export function attentionForwardRef(
    q: ArrayLike<number>,
    k: ArrayLike<number>,
    v: ArrayLike<number>,
    shape: AttentionRefShape,
): { out: Float64Array; lse: Float64Array } {
    const { numHeads, numKvHeads, headDim, scale } = shape;
    const numTokens = q.length / (numHeads * headDim);
    const out = new Float64Array(q.length);
    const lse = new Float64Array(numTokens * numHeads);
    const stride = numKvHeads * headDim;
    forEachRow(shape, (row, kvStart, position) => {
        const soft = rowSoftmax(q, row * headDim, k, kvStart, stride, position + 1, headDim, scale);
        lse[row] = soft.lse;
        for (let j = 0; j <= position; j++)
            for (let d = 0; d < headDim; d++)
                out[row * headDim + d]! += soft.p[j]! * v[kvStart + j * stride + d]!;
    });
    return { out, lse };
}

export function attentionBackwardRef(
    q: ArrayLike<number>,
    k: ArrayLike<number>,
    v: ArrayLike<number>,
    dOut: ArrayLike<number>,
    shape: AttentionRefShape,
): { dq: Float64Array; dk: Float64Array; dv: Float64Array } {
    const { numKvHeads, headDim, scale } = shape;
    const dq = new Float64Array(q.length);
    const dk = new Float64Array(k.length);
    const dv = new Float64Array(v.length);
    const stride = numKvHeads * headDim;
    forEachRow(shape, (row, kvStart, position) => {
        const n = position + 1;
        const { p } = rowSoftmax(q, row * headDim, k, kvStart, stride, n, headDim, scale);
        const dp = new Float64Array(n);
        let pdp = 0;
        for (let j = 0; j < n; j++) {
            for (let d = 0; d < headDim; d++)
                dp[j]! += dOut[row * headDim + d]! * v[kvStart + j * stride + d]!;
            pdp += p[j]! * dp[j]!;
        }
        for (let j = 0; j < n; j++) {
            const ds = p[j]! * (dp[j]! - pdp);
            const key = kvStart + j * stride;
            for (let d = 0; d < headDim; d++) {
                dq[row * headDim + d]! += scale * ds * k[key + d]!;
                dk[key + d]! += scale * ds * q[row * headDim + d]!;
                dv[key + d]! += p[j]! * dOut[row * headDim + d]!;
            }
        }
    });
    return { dq, dk, dv };
}

export interface DecodeRefShape {
    cacheLens: ArrayLike<number>;
    cacheCapacity: number;
    numHeads: number;
    numKvHeads: number;
    headDim: number;
    scale: number;
}

/** One query per sequence against cache positions [0, cacheLens[s]). */
export function attentionDecodeRef(
    q: ArrayLike<number>,
    kCache: ArrayLike<number>,
    vCache: ArrayLike<number>,
    shape: DecodeRefShape,
): { out: Float64Array; lse: Float64Array } {
    const { cacheLens, cacheCapacity, numHeads, numKvHeads, headDim, scale } = shape;
    const group = numHeads / numKvHeads;
    const stride = numKvHeads * headDim;
    const out = new Float64Array(q.length);
    const lse = new Float64Array(cacheLens.length * numHeads);
    for (let s = 0; s < cacheLens.length; s++) {
        for (let h = 0; h < numHeads; h++) {
            const row = s * numHeads + h;
            const kvStart = s * cacheCapacity * stride + Math.floor(h / group) * headDim;
            const n = cacheLens[s]!;
            const soft = rowSoftmax(q, row * headDim, kCache, kvStart, stride, n, headDim, scale);
            lse[row] = soft.lse;
            for (let j = 0; j < n; j++)
                for (let d = 0; d < headDim; d++)
                    out[row * headDim + d]! += soft.p[j]! * vCache[kvStart + j * stride + d]!;
        }
    }
    return { out, lse };
}
