/**
 * Float64 reference for the GRPO loss, written from the formulas: per-token
 * terms first, then each loss type's normalisation spelled out.
 *
 *   r   = exp(logp − old)            token level
 *       = exp(mean_seq(logp − old))  sequence level (GSPO), over active tokens
 *   ℓ_t = −min(r·A, clip(r, 1−εlow, 1+εhigh)·A) + β·k3,  k3 = e^(ref−logp) − (ref−logp) − 1
 *
 * An absent oldLogp is a constant copy of logp (ratio 1, still differentiable).
 * Tie rule (the kernel's): the surrogate gradient is 0 exactly when the token is
 * clipped, r < 1−εlow with A < 0 or r > 1+εhigh with A > 0; otherwise −A·r.
 */
import type { GrpoLossType, ImportanceSamplingLevel } from "../../src/index.js";

export interface GrpoLossRefArgs {
    logp: ArrayLike<number>;
    oldLogp?: ArrayLike<number>;
    refLogp?: ArrayLike<number>;
    advantages: ArrayLike<number>;
    lossMask: ArrayLike<number>;
    cuSeqlens: ArrayLike<number>;
    epsLow: number;
    epsHigh: number;
    beta: number;
    lossType: GrpoLossType;
    maxCompletionLength?: number;
    numItemsInBatch?: number;
    importanceSamplingLevel?: ImportanceSamplingLevel;
}

export interface GrpoLossRef {
    loss: number;
    dLogp: Float64Array;
    perTokenLoss: Float64Array;
    metrics: {
        clipLowFraction: number;
        clipHighFraction: number;
        meanKl: number;
        meanRatio: number;
        activeTokens: number;
    };
}

interface Terms {
    loss: Float64Array;
    ratio: Float64Array;
    low: boolean[];
    high: boolean[];
    kl: Float64Array;
}

function sequences(a: GrpoLossRefArgs): [number, number][] {
    const out: [number, number][] = [];
    for (let s = 0; s + 1 < a.cuSeqlens.length; s++) out.push([a.cuSeqlens[s]!, a.cuSeqlens[s + 1]!]);
    return out;
}

function activeIn(a: GrpoLossRefArgs, begin: number, end: number): number {
    let count = 0;
    for (let t = begin; t < end; t++) if (a.lossMask[t]) count++;
    return count;
}

/** ℓ_t and friends, with `logp` substituted (old stays the original logp when absent). */
function terms(a: GrpoLossRefArgs, logp: ArrayLike<number>): Terms {
    const n = a.logp.length;
    const T: Terms = {
        loss: new Float64Array(n),
        ratio: new Float64Array(n),
        low: new Array<boolean>(n).fill(false),
        high: new Array<boolean>(n).fill(false),
        kl: new Float64Array(n),
    };
    const old = (t: number) => (a.oldLogp ? a.oldLogp[t]! : a.logp[t]!);
    const lo = 1 - a.epsLow;
    const hi = 1 + a.epsHigh;
    for (const [b, e] of sequences(a)) {
        let seqLogW = 0;
        for (let t = b; t < e; t++) if (a.lossMask[t]) seqLogW += logp[t]! - old(t);
        seqLogW /= Math.max(activeIn(a, b, e), 1);
        for (let t = b; t < e; t++) {
            if (!a.lossMask[t]) continue;
            const logW = a.importanceSamplingLevel === "sequence" ? seqLogW : logp[t]! - old(t);
            const r = Math.exp(logW);
            const A = a.advantages[t]!;
            const clipped = Math.min(Math.max(r, lo), hi);
            T.ratio[t] = r;
            T.low[t] = r < lo && A < 0;
            T.high[t] = r > hi && A > 0;
            if (a.refLogp) {
                const d = a.refLogp[t]! - logp[t]!;
                T.kl[t] = Math.exp(d) - d - 1;
            }
            T.loss[t] = -Math.min(r * A, clipped * A) + a.beta * T.kl[t]!;
        }
    }
    return T;
}

/** c_t = dLoss/dℓ_t for each loss type. */
function coefficients(a: GrpoLossRefArgs): Float64Array {
    const seqs = sequences(a);
    const S = seqs.length;
    const c = new Float64Array(a.logp.length);
    const total = activeIn(a, 0, a.logp.length);
    for (const [b, e] of seqs) {
        const nS = activeIn(a, b, e);
        for (let t = b; t < e; t++) {
            if (!a.lossMask[t]) continue;
            switch (a.lossType) {
                case "grpo": // mean over sequences of each sequence's token mean
                    c[t] = 1 / S / Math.max(nS, 1);
                    break;
                case "bnpo": // token mean over the batch
                    c[t] = 1 / Math.max(total, 1);
                    break;
                case "dr_grpo": // sum / (S · maxCompletionLength)
                    c[t] = 1 / (S * a.maxCompletionLength!);
                    break;
                case "dapo": // sum / numItemsInBatch
                    c[t] = 1 / a.numItemsInBatch!;
                    break;
            }
        }
    }
    return c;
}

/** The loss alone with `logp` substituted, for finite differences. */
export function grpoLossValueRef(a: GrpoLossRefArgs, logp: ArrayLike<number>): number {
    const T = terms(a, logp);
    const c = coefficients(a);
    let loss = 0;
    for (let t = 0; t < c.length; t++) loss += c[t]! * T.loss[t]!;
    return loss;
}

export function grpoLossRef(a: GrpoLossRefArgs): GrpoLossRef {
    const n = a.logp.length;
    const T = terms(a, a.logp);
    const c = coefficients(a);
    const out: GrpoLossRef = {
        loss: 0,
        dLogp: new Float64Array(n),
        perTokenLoss: T.loss,
        metrics: { clipLowFraction: 0, clipHighFraction: 0, meanKl: 0, meanRatio: 0, activeTokens: 0 },
    };
    const m = out.metrics;
    for (let t = 0; t < n; t++) {
        out.loss += c[t]! * T.loss[t]!;
        if (!a.lossMask[t]) continue;
        m.activeTokens++;
        m.clipLowFraction += T.low[t] ? 1 : 0;
        m.clipHighFraction += T.high[t] ? 1 : 0;
        m.meanKl += T.kl[t]!;
        m.meanRatio += T.ratio[t]!;
    }
    if (m.activeTokens > 0) {
        m.clipLowFraction /= m.activeTokens;
        m.clipHighFraction /= m.activeTokens;
        m.meanKl /= m.activeTokens;
        m.meanRatio /= m.activeTokens;
    }
    // dLoss/dlogp_u = Σ_t c_t · dℓ_t/dlogp_u
    for (const [b, e] of sequences(a)) {
        const nS = Math.max(activeIn(a, b, e), 1);
        for (let t = b; t < e; t++) {
            if (!a.lossMask[t]) continue;
            const dSurrogate = T.low[t] || T.high[t] ? 0 : -a.advantages[t]! * T.ratio[t]!;
            if (a.importanceSamplingLevel === "sequence") {
                for (let u = b; u < e; u++) if (a.lossMask[u]) out.dLogp[u]! += (c[t]! * dSurrogate) / nS;
            } else {
                out.dLogp[t]! += c[t]! * dSurrogate;
            }
            if (a.refLogp) out.dLogp[t]! += c[t]! * a.beta * (1 - Math.exp(a.refLogp[t]! - a.logp[t]!));
        }
    }
    return out;
}
