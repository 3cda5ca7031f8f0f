/**
 * The native kernels, typed. Each returns a promise and runs off the JS thread;
 * bad arguments reject with a TypeError/RangeError that names the field.
 *
 * Layouts are row-major. With `N` packed tokens, `S` sequences, `H` query heads,
 * `Hkv` KV heads, `Dh` head size, `D` hidden size and `V` vocabulary size:
 *
 * | function            | inputs                                            | outputs                   |
 * |---------------------|---------------------------------------------------|---------------------------|
 * | matmul              | x [m,k], weight [n,k], bias? [n]                  | y [m,n] = x·weightᵀ + bias |
 * | matmulBackwardInput | dy [m,n], weight [n,k]                            | dx [m,k] = dy·weight       |
 * | matmulBackwardWeight| dy [m,n], x [m,k]                                 | dWeight [n,k] = dyᵀ·x, dBias? |
 * | attention           | q [N,H,Dh], k/v [N,Hkv,Dh], cuSeqlens [S+1]       | out [N,H,Dh], lse [N,H]   |
 * | attentionBackward   | the above + out, lse, dOut [N,H,Dh]               | dq, dk, dv                |
 * | attentionDecode     | q [S,H,Dh], kCache/vCache [S,C,Hkv,Dh], cacheLens | out [S,H,Dh], lse [S,H]   |
 * | logprobs            | hidden [N,D], weight [V,D], targets [N]           | logp, lse, entropy? [N]   |
 * | logprobsBackward    | the above + lse, dLogp [N]                        | dHidden [N,D], dWeight [V,D] |
 * | grpoLoss            | logp, oldLogp?, refLogp?, advantages [N], lossMask, cuSeqlens | loss, dLogp [N], metrics |
 */
import type {
    Addon,
    AttentionArgs,
    AttentionBackwardArgs,
    AttentionBackwardResult,
    AttentionDecodeArgs,
    AttentionResult,
    GrpoLossArgs,
    GrpoLossResult,
    LogprobsArgs,
    LogprobsBackwardArgs,
    LogprobsBackwardResult,
    LogprobsResult,
    MatmulArgs,
    MatmulBackwardInputArgs,
    MatmulBackwardWeightArgs,
    RuntimeInfo,
} from "./AddonTypes.js";
import { loadAddon } from "./loadAddon.js";

// Async so that a synchronous validation error becomes a rejected promise,
// the same as a native failure on the worker thread.
function call<A, R>(pick: (addon: Addon) => (args: A) => Promise<R>): (args: A) => Promise<R> {
    return async (args: A) => {
        const addon = loadAddon();
        return pick(addon).call(addon, args);
    };
}

export const kernels = {
    matmul: call<MatmulArgs, { y: Float32Array }>((a) => a.matmul),
    matmulBackwardInput: call<MatmulBackwardInputArgs, { dx: Float32Array }>(
        (a) => a.matmulBackwardInput,
    ),
    matmulBackwardWeight: call<
        MatmulBackwardWeightArgs,
        { dWeight: Float32Array; dBias?: Float32Array }
    >((a) => a.matmulBackwardWeight),
    attention: call<AttentionArgs, AttentionResult>((a) => a.attention),
    attentionBackward: call<AttentionBackwardArgs, AttentionBackwardResult>(
        (a) => a.attentionBackward,
    ),
    attentionDecode: call<AttentionDecodeArgs, AttentionResult>((a) => a.attentionDecode),
    logprobs: call<LogprobsArgs, LogprobsResult>((a) => a.logprobs),
    logprobsBackward: call<LogprobsBackwardArgs, LogprobsBackwardResult>(
        (a) => a.logprobsBackward,
    ),
    grpoLoss: call<GrpoLossArgs, GrpoLossResult>((a) => a.grpoLoss),
};

/** Thread count and CPU path of the loaded addon. */
export function runtimeInfo(): RuntimeInfo {
    return loadAddon().runtimeInfo();
}

/** Resizes the native thread pool (waits for a running kernel first). */
export function setNumThreads(numThreads: number): void {
    loadAddon().setNumThreads({ numThreads });
}
