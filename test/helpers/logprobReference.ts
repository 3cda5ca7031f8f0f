/**
 * Float64 reference for the fused log-prob kernel: full logits per row, no
 * chunking, written from the definitions
 *   z = hidden · weightᵀ / temperature,  logp[n] = z[n, y[n]] − logsumexp(z[n, :]),
 *   entropy[n] = −Σ_j p_j log p_j.
 */

export interface LogprobShape {
    /** N tokens */
    n: number;
    /** D hidden size */
    d: number;
    /** V vocabulary size */
    v: number;
    temperature: number;
}

export interface LogprobsRef {
    logp: Float64Array;
    lse: Float64Array;
    entropy: Float64Array;
}

/** z (V) for token row `row`. */
function rowLogits(hidden: ArrayLike<number>, weight: ArrayLike<number>, row: number, s: LogprobShape): Float64Array {
    const z = new Float64Array(s.v);
    for (let j = 0; j < s.v; j++) {
        let acc = 0;
        for (let k = 0; k < s.d; k++) acc += hidden[row * s.d + k]! * weight[j * s.d + k]!;
        z[j] = acc / s.temperature;
    }
    return z;
}

function logSumExp(z: Float64Array): number {
    let m = -Infinity;
    for (const x of z) m = Math.max(m, x);
    let sum = 0;
    for (const x of z) sum += Math.exp(x - m);
    return m + Math.log(sum);
}

export function logprobsRef(
    hidden: ArrayLike<number>,
    weight: ArrayLike<number>,
    targets: ArrayLike<number>,
    s: LogprobShape,
): LogprobsRef {
    const out: LogprobsRef = {
        logp: new Float64Array(s.n),
        lse: new Float64Array(s.n),
        entropy: new Float64Array(s.n),
    };
    for (let n = 0; n < s.n; n++) {
        const z = rowLogits(hidden, weight, n, s);
        const lse = logSumExp(z);
        out.lse[n] = lse;
        out.logp[n] = z[targets[n]!]! - lse;
        let h = 0;
        for (const x of z) h -= Math.exp(x - lse) * (x - lse);
        out.entropy[n] = h;
    }
    return out;
}

/** Gradients of Σ_n dLogp[n]·logp[n]: dlogp/dz_j = onehot_j − p_j, dz/d(h·w) = 1/temperature. */
export function logprobsBackwardRef(
    hidden: ArrayLike<number>,
    weight: ArrayLike<number>,
    targets: ArrayLike<number>,
    dLogp: ArrayLike<number>,
    s: LogprobShape,
): { dHidden: Float64Array; dWeight: Float64Array } {
    const dHidden = new Float64Array(s.n * s.d);
    const dWeight = new Float64Array(s.v * s.d);
    for (let n = 0; n < s.n; n++) {
        const z = rowLogits(hidden, weight, n, s);
        const lse = logSumExp(z);
        for (let j = 0; j < s.v; j++) {
            const g = (dLogp[n]! * ((j === targets[n] ? 1 : 0) - Math.exp(z[j]! - lse))) / s.temperature;
            if (g === 0) continue;
            for (let k = 0; k < s.d; k++) {
                dHidden[n * s.d + k]! += g * weight[j * s.d + k]!;
                dWeight[j * s.d + k]! += g * hidden[n * s.d + k]!;
            }
        }
    }
    return { dHidden, dWeight };
}
