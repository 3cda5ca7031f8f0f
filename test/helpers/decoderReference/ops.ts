/**
 * Float64 building blocks of the decoder reference, each an <op>Forward /
 * <op>Backward pair written from the definitions. Row-major throughout; every
 * backward ADDS into the parameter gradients it is handed (tied weights and
 * multi-use tensors accumulate) and returns a fresh input gradient.
 */

/** y = x·Wᵀ (+ b).  x (N, In), w (Out, In), b (Out) → y (N, Out). */
export function linearForward(
    x: Float64Array,
    w: Float64Array,
    b: Float64Array | undefined,
    n: number,
    inDim: number,
    outDim: number,
): Float64Array {
    const y = new Float64Array(n * outDim);
    for (let r = 0; r < n; r++) {
        for (let o = 0; o < outDim; o++) {
            let acc = b === undefined ? 0 : b[o]!;
            for (let i = 0; i < inDim; i++) acc += x[r * inDim + i]! * w[o * inDim + i]!;
            y[r * outDim + o] = acc;
        }
    }
    return y;
}

/** dx = dy·W;  dW += dyᵀ·x;  db += Σ_rows dy.  Returns dx (N, In). */
export function linearBackward(
    dy: Float64Array,
    x: Float64Array,
    w: Float64Array,
    dw: Float64Array,
    db: Float64Array | undefined,
    n: number,
    inDim: number,
    outDim: number,
): Float64Array {
    const dx = new Float64Array(n * inDim);
    for (let r = 0; r < n; r++) {
        for (let o = 0; o < outDim; o++) {
            const g = dy[r * outDim + o]!;
            if (g === 0) continue;
            if (db !== undefined) db[o]! += g;
            for (let i = 0; i < inDim; i++) {
                dx[r * inDim + i]! += g * w[o * inDim + i]!;
                dw[o * inDim + i]! += g * x[r * inDim + i]!;
            }
        }
    }
    return dx;
}

export interface RmsNormCache {
    /** 1 / sqrt(mean(x²) + eps) per row (R) */
    rstd: Float64Array;
}

/** y = x / sqrt(mean(x²) + eps) · w over rows of length D.  x (R, D), w (D). */
export function rmsnormForward(
    x: Float64Array,
    w: Float64Array,
    rows: number,
    d: number,
    eps: number,
): { y: Float64Array; cache: RmsNormCache } {
    const y = new Float64Array(rows * d);
    const rstd = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
        let ss = 0;
        for (let j = 0; j < d; j++) ss += x[r * d + j]! ** 2;
        const s = 1 / Math.sqrt(ss / d + eps);
        rstd[r] = s;
        for (let j = 0; j < d; j++) y[r * d + j] = x[r * d + j]! * s * w[j]!;
    }
    return { y, cache: { rstd } };
}

/**
 * With x̂ = x·s and s = (mean(x²) + eps)^(-1/2):
 *   dx_j = s·w_j·dy_j − (s³ / D)·x_j·Σ_k dy_k·w_k·x_k,   dw_j += Σ_rows dy_j·x̂_j.
 */
export function rmsnormBackward(
    dy: Float64Array,
    x: Float64Array,
    w: Float64Array,
    cache: RmsNormCache,
    dw: Float64Array,
    rows: number,
    d: number,
): Float64Array {
    const dx = new Float64Array(rows * d);
    for (let r = 0; r < rows; r++) {
        const s = cache.rstd[r]!;
        let dot = 0;
        for (let k = 0; k < d; k++) dot += dy[r * d + k]! * w[k]! * x[r * d + k]!;
        const c = (s * s * s * dot) / d;
        for (let j = 0; j < d; j++) {
            const xj = x[r * d + j]!;
            const g = dy[r * d + j]!;
            dx[r * d + j] = s * w[j]! * g - c * xj;
            dw[j]! += g * xj * s;
        }
    }
    return dx;
}

/**
 * cos/sin tables (N, Dh/2) for positions that restart at 0 in each sequence:
 * angle = (pos / factor) · theta^(−2i/Dh)  (transformers' linear rope_scaling).
 */
export function ropeTables(
    cuSeqlens: Int32Array,
    headDim: number,
    theta: number,
    factor: number,
): { cos: Float64Array; sin: Float64Array } {
    const half = headDim / 2;
    const n = cuSeqlens[cuSeqlens.length - 1]!;
    const cos = new Float64Array(n * half);
    const sin = new Float64Array(n * half);
    for (let s = 0; s + 1 < cuSeqlens.length; s++) {
        for (let t = cuSeqlens[s]!; t < cuSeqlens[s + 1]!; t++) {
            const pos = (t - cuSeqlens[s]!) / factor;
            for (let i = 0; i < half; i++) {
                const angle = pos / Math.pow(theta, (2 * i) / headDim);
                cos[t * half + i] = Math.cos(angle);
                sin[t * half + i] = Math.sin(angle);
            }
        }
    }
    return { cos, sin };
}

/**
 * "rotate_half" RoPE on x (N, heads, Dh), pairs (i, i + Dh/2):
 *   y_i = x_i·c − x_{i+h}·s,   y_{i+h} = x_{i+h}·c + x_i·s.
 * With `inverse` the transposed rotation (the backward): angle → −angle.
 */
export function ropeApply(
    x: Float64Array,
    cos: Float64Array,
    sin: Float64Array,
    n: number,
    heads: number,
    headDim: number,
    inverse = false,
): Float64Array {
    const half = headDim / 2;
    const sign = inverse ? -1 : 1;
    const y = new Float64Array(x.length);
    for (let t = 0; t < n; t++) {
        for (let h = 0; h < heads; h++) {
            const base = (t * heads + h) * headDim;
            for (let i = 0; i < half; i++) {
                const c = cos[t * half + i]!;
                const s = sign * sin[t * half + i]!;
                const a = x[base + i]!;
                const b = x[base + i + half]!;
                y[base + i] = a * c - b * s;
                y[base + i + half] = b * c + a * s;
            }
        }
    }
    return y;
}

export interface AttentionDims {
    cuSeqlens: Int32Array;
    numHeads: number;
    numKvHeads: number;
    headDim: number;
}

export interface AttentionCache {
    /** softmax row of query (t, h) over keys t0..t, indexed t·H + h */
    probs: Float64Array[];
}

/**
 * Causal attention within each packed sequence, scores scaled by 1/sqrt(Dh);
 * query head h reads KV head ⌊h / (H / Hkv)⌋.
 * q (N, H, Dh), k/v (N, Hkv, Dh) → o (N, H, Dh).
 */
export function attentionForward(
    q: Float64Array,
    k: Float64Array,
    v: Float64Array,
    dims: AttentionDims,
): { o: Float64Array; cache: AttentionCache } {
    const { cuSeqlens, numHeads: nh, numKvHeads: nkv, headDim: dh } = dims;
    const group = nh / nkv;
    const scale = 1 / Math.sqrt(dh);
    const n = cuSeqlens[cuSeqlens.length - 1]!;
    const o = new Float64Array(n * nh * dh);
    const probs: Float64Array[] = new Array<Float64Array>(n * nh);
    for (let s = 0; s + 1 < cuSeqlens.length; s++) {
        const t0 = cuSeqlens[s]!;
        for (let t = t0; t < cuSeqlens[s + 1]!; t++) {
            for (let h = 0; h < nh; h++) {
                const g = Math.floor(h / group);
                const qOff = (t * nh + h) * dh;
                const len = t - t0 + 1;
                const p = new Float64Array(len);
                let max = -Infinity;
                for (let j = 0; j < len; j++) {
                    const kOff = ((t0 + j) * nkv + g) * dh;
                    let dot = 0;
                    for (let d = 0; d < dh; d++) dot += q[qOff + d]! * k[kOff + d]!;
                    p[j] = dot * scale;
                    max = Math.max(max, p[j]!);
                }
                let sum = 0;
                for (let j = 0; j < len; j++) {
                    p[j] = Math.exp(p[j]! - max);
                    sum += p[j]!;
                }
                for (let j = 0; j < len; j++) {
                    p[j] = p[j]! / sum;
                    const vOff = ((t0 + j) * nkv + g) * dh;
                    for (let d = 0; d < dh; d++) o[qOff + d]! += p[j]! * v[vOff + d]!;
                }
                probs[t * nh + h] = p;
            }
        }
    }
    return { o, cache: { probs } };
}

/**
 * dP_j = dO·v_j,  dS_j = P_j (dP_j − Σ_i P_i dP_i),
 * dq = scale·Σ_j dS_j k_j,  dk_j += scale·dS_j q,  dv_j += P_j dO.
 */
export function attentionBackward(
    dO: Float64Array,
    q: Float64Array,
    k: Float64Array,
    v: Float64Array,
    cache: AttentionCache,
    dims: AttentionDims,
): { dq: Float64Array; dk: Float64Array; dv: Float64Array } {
    const { cuSeqlens, numHeads: nh, numKvHeads: nkv, headDim: dh } = dims;
    const group = nh / nkv;
    const scale = 1 / Math.sqrt(dh);
    const dq = new Float64Array(q.length);
    const dk = new Float64Array(k.length);
    const dv = new Float64Array(v.length);
    for (let s = 0; s + 1 < cuSeqlens.length; s++) {
        const t0 = cuSeqlens[s]!;
        for (let t = t0; t < cuSeqlens[s + 1]!; t++) {
            for (let h = 0; h < nh; h++) {
                const g = Math.floor(h / group);
                const qOff = (t * nh + h) * dh;
                const p = cache.probs[t * nh + h]!;
                const dp = new Float64Array(p.length);
                let rowDot = 0;
                for (let j = 0; j < p.length; j++) {
                    const vOff = ((t0 + j) * nkv + g) * dh;
                    let acc = 0;
                    for (let d = 0; d < dh; d++) {
                        acc += dO[qOff + d]! * v[vOff + d]!;
                        dv[vOff + d]! += p[j]! * dO[qOff + d]!;
                    }
                    dp[j] = acc;
                    rowDot += p[j]! * acc;
                }
                for (let j = 0; j < p.length; j++) {
                    const ds = scale * p[j]! * (dp[j]! - rowDot);
                    const kOff = ((t0 + j) * nkv + g) * dh;
                    for (let d = 0; d < dh; d++) {
                        dq[qOff + d]! += ds * k[kOff + d]!;
                        dk[kOff + d]! += ds * q[qOff + d]!;
                    }
                }
            }
        }
    }
    return { dq, dk, dv };
}

function sigmoid(x: number): number {
    return 1 / (1 + Math.exp(-x));
}

/** a = silu(g) · u elementwise, silu(g) = g·σ(g). */
export function swigluForward(gate: Float64Array, up: Float64Array): Float64Array {
    const a = new Float64Array(gate.length);
    for (let i = 0; i < a.length; i++) a[i] = gate[i]! * sigmoid(gate[i]!) * up[i]!;
    return a;
}

/** dg = da·u·σ(g)(1 + g(1 − σ(g))),  du = da·silu(g). */
export function swigluBackward(
    da: Float64Array,
    gate: Float64Array,
    up: Float64Array,
): { dGate: Float64Array; dUp: Float64Array } {
    const dGate = new Float64Array(gate.length);
    const dUp = new Float64Array(up.length);
    for (let i = 0; i < gate.length; i++) {
        const g = gate[i]!;
        const sg = sigmoid(g);
        dGate[i] = da[i]! * up[i]! * sg * (1 + g * (1 - sg));
        dUp[i] = da[i]! * g * sg;
    }
    return { dGate, dUp };
}

/** a += b elementwise (residual streams). */
export function addInto(a: Float64Array, b: Float64Array): void {
    for (let i = 0; i < a.length; i++) a[i]! += b[i]!;
}
