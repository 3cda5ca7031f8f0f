/**
 * The naive paths the kernel benchmark puts beside each native kernel: the
 * obvious implementation a user would write without fusion or streaming.
 */
import type { AttentionArgs, GrpoLossArgs, LogprobsArgs } from "../engine/AddonTypes.js";
import { kernels } from "../engine/kernels.js";

/** Attention with one materialised score row per query (plain TS loops). */
export function naiveAttention(args: AttentionArgs): Float32Array {
    const { q, k, v, cuSeqlens, numHeads: h, numKvHeads: hkv, headDim: d } = args;
    const scale = args.scale ?? 1 / Math.sqrt(d);
    const n = cuSeqlens[cuSeqlens.length - 1]!;
    const out = new Float32Array(n * h * d);
    const group = h / hkv;
    for (let s = 0; s + 1 < cuSeqlens.length; s++) {
        const start = cuSeqlens[s]!, end = cuSeqlens[s + 1]!;
        const scores = new Float32Array(end - start);
        for (let t = start; t < end; t++) {
            for (let head = 0; head < h; head++) {
                const kvHead = Math.floor(head / group);
                const qOff = (t * h + head) * d;
                let max = -Infinity;
                for (let j = start; j <= t; j++) {
                    const kOff = (j * hkv + kvHead) * d;
                    let dot = 0;
                    for (let c = 0; c < d; c++) dot += q[qOff + c]! * k[kOff + c]!;
                    scores[j - start] = dot * scale;
                    max = Math.max(max, dot * scale);
                }
                let sum = 0;
                for (let j = start; j <= t; j++) sum += scores[j - start] = Math.exp(scores[j - start]! - max);
                const oOff = (t * h + head) * d;
                for (let j = start; j <= t; j++) {
                    const p = scores[j - start]! / sum;
                    const vOff = (j * hkv + kvHead) * d;
                    for (let c = 0; c < d; c++) out[oOff + c]! += p * v[vOff + c]!;
                }
            }
        }
    }
    return out;
}

/** Full [N, V] logits from the matmul kernel, then log-softmax and gather in TS. */
export async function naiveLogprobs(args: LogprobsArgs): Promise<Float32Array> {
    const n = args.targets.length;
    const d = args.hidden.length / n;
    const vocab = args.weight.length / d;
    const { y: logits } = await kernels.matmul({ x: args.hidden, weight: args.weight, m: n, k: d, n: vocab });
    const invT = 1 / (args.temperature ?? 1);
    const logp = new Float32Array(n);
    for (let i = 0; i < n; i++) {
        const row = logits.subarray(i * vocab, (i + 1) * vocab);
        let max = -Infinity;
        for (let j = 0; j < vocab; j++) max = Math.max(max, row[j]! * invT);
        let sum = 0;
        for (let j = 0; j < vocab; j++) sum += Math.exp(row[j]! * invT - max);
        logp[i] = row[args.targets[i]!]! * invT - max - Math.log(sum);
    }
    return logp;
}

/** The GRPO loss and its gradient with per-token TS loops (token level, `grpo` normalisation). */
export function naiveGrpoLoss(args: GrpoLossArgs): { loss: number; dLogp: Float32Array } {
    const { logp, advantages, lossMask, cuSeqlens, epsLow, epsHigh, beta } = args;
    const dLogp = new Float32Array(logp.length);
    const seqs = cuSeqlens.length - 1;
    let loss = 0;
    for (let s = 0; s < seqs; s++) {
        const start = cuSeqlens[s]!, end = cuSeqlens[s + 1]!;
        let active = 0;
        for (let t = start; t < end; t++) active += lossMask[t]!;
        const w = 1 / (seqs * Math.max(active, 1));
        for (let t = start; t < end; t++) {
            if (!lossMask[t]) continue;
            const old = args.oldLogp ? args.oldLogp[t]! : logp[t]!;
            const ratio = Math.exp(logp[t]! - old);
            const a = advantages[t]!;
            const clipped = Math.min(Math.max(ratio, 1 - epsLow), 1 + epsHigh);
            const unclippedWins = ratio * a <= clipped * a;
            let l = -Math.min(ratio * a, clipped * a);
            let g = unclippedWins ? -ratio * a : 0;
            if (beta > 0 && args.refLogp) {
                const delta = args.refLogp[t]! - logp[t]!;
                l += beta * (Math.exp(delta) - delta - 1);
                g += beta * (1 - Math.exp(delta));
            }
            loss += w * l;
            dLogp[t] = w * g;
        }
    }
    return { loss, dLogp };
}
