/**
 * The typed surface of the native addon: every function `native/addon/*_binding.cc`
 * exports, with its argument object and result. Layouts are row-major; shapes are
 * given as `[rows, cols]`. Long calls return promises and run off the JS thread.
 *
 * Arguments are validated natively: a wrong array kind, length, id or
 * hyper-parameter throws a TypeError/RangeError naming the operation and field.
 */

/** Facts about the loaded addon. */
export interface RuntimeInfo {
    /** Threads in the native pool (defaults to the machine's cores, or `R1_NUM_THREADS`). */
    numThreads: number;
    /** Whether the AVX2/FMA kernels are in use (else the portable path). */
    avx2: boolean;
    backend: "cpu";
}

export interface MatmulArgs {
    /** `[m, k]` */
    x: Float32Array;
    /** `[n, k]` (a linear layer's weight) */
    weight: Float32Array;
    /** `[n]` */
    bias?: Float32Array;
    /** `[m, n]` written in place and returned as `y` (numpy's `out=`). Defaults to a new array. */
    out?: Float32Array;
    m: number;
    k: number;
    n: number;
}

export interface MatmulBackwardInputArgs {
    /** `[m, n]` */
    dy: Float32Array;
    /** `[n, k]` */
    weight: Float32Array;
    m: number;
    k: number;
    n: number;
}

export interface MatmulBackwardWeightArgs {
    /** `[m, n]` */
    dy: Float32Array;
    /** `[m, k]` */
    x: Float32Array;
    m: number;
    k: number;
    n: number;
    /** Also return the bias gradient (column sums of `dy`). Defaults to `false`. */
    withBias?: boolean;
}

export interface AttentionArgs {
    /** `[N, numHeads, headDim]` */
    q: Float32Array;
    /** `[N, numKvHeads, headDim]` */
    k: Float32Array;
    /** `[N, numKvHeads, headDim]` */
    v: Float32Array;
    /** `[S + 1]` sequence boundaries; positions restart in each sequence. */
    cuSeqlens: Int32Array;
    numHeads: number;
    /** Must divide `numHeads`. */
    numKvHeads: number;
    /** 1 … 256 */
    headDim: number;
    /** Score scale. Defaults to `1 / sqrt(headDim)`. */
    scale?: number;
}

export interface AttentionResult {
    /** `[N, numHeads, headDim]` */
    out: Float32Array;
    /** `[N, numHeads]` natural-log log-sum-exp of each row's scaled scores. */
    lse: Float32Array;
}

export interface AttentionBackwardArgs extends AttentionArgs {
    out: Float32Array;
    lse: Float32Array;
    /** `[N, numHeads, headDim]` */
    dOut: Float32Array;
}

export interface AttentionBackwardResult {
    dq: Float32Array;
    dk: Float32Array;
    dv: Float32Array;
}

export interface AttentionDecodeArgs {
    /** `[S, numHeads, headDim]`: one new query per sequence. */
    q: Float32Array;
    /** `[S, cacheCapacity, numKvHeads, headDim]` */
    kCache: Float32Array;
    /** `[S, cacheCapacity, numKvHeads, headDim]` */
    vCache: Float32Array;
    /** `[S]` valid cache positions per sequence, the new token included (1 … cacheCapacity). */
    cacheLens: Int32Array;
    cacheCapacity: number;
    numHeads: number;
    numKvHeads: number;
    headDim: number;
    /** Defaults to `1 / sqrt(headDim)`. */
    scale?: number;
}

export interface LogprobsArgs {
    /** `[N, D]` */
    hidden: Float32Array;
    /** `[V, D]` LM-head weight. */
    weight: Float32Array;
    /** `[N]` token ids in `[0, V)`. */
    targets: Int32Array;
    /** Logits are divided by it. Defaults to `1`. */
    temperature?: number;
    /** Also return per-token entropy. Defaults to `false`. */
    withEntropy?: boolean;
    /** Vocabulary rows per streamed chunk. Defaults to `4096`. */
    vocabChunk?: number;
}

export interface LogprobsResult {
    /** `[N]` */
    logp: Float32Array;
    /** `[N]` log-sum-exp of the tempered logits. */
    lse: Float32Array;
    /** `[N]`, when `withEntropy`. */
    entropy?: Float32Array;
}

export interface LogprobsBackwardArgs {
    hidden: Float32Array;
    weight: Float32Array;
    targets: Int32Array;
    /** `[N]` from `logprobs`. */
    lse: Float32Array;
    /** `[N]` upstream gradient of each log-probability. */
    dLogp: Float32Array;
    /** Defaults to `1`. */
    temperature?: number;
    /** Defaults to `4096`. */
    vocabChunk?: number;
}

export interface LogprobsBackwardResult {
    /** `[N, D]` */
    dHidden: Float32Array;
    /** `[V, D]` */
    dWeight: Float32Array;
}

export type GrpoLossType = "grpo" | "bnpo" | "dr_grpo" | "dapo";
export type ImportanceSamplingLevel = "token" | "sequence";

export interface GrpoLossArgs {
    /** `[N]` current policy log-probabilities. */
    logp: Float32Array;
    /** `[N]` log-probabilities at sampling time. Absent: equal to `logp` (ratio 1). */
    oldLogp?: Float32Array;
    /** `[N]` reference-model log-probabilities; required when `beta > 0`. */
    refLogp?: Float32Array;
    /** `[N]` per-token advantages. */
    advantages: Float32Array;
    /** `[N]` 1 where the token enters the loss. */
    lossMask: Uint8Array;
    /** `[S + 1]` */
    cuSeqlens: Int32Array;
    /** Lower clip `1 - epsLow`. */
    epsLow: number;
    /** Upper clip `1 + epsHigh` (DAPO clip-higher uses 0.28). */
    epsHigh: number;
    /** KL coefficient (k3 estimator). */
    beta: number;
    lossType: GrpoLossType;
    /** Needed by `dr_grpo`. */
    maxCompletionLength?: number;
    /** Active tokens of the whole generation batch; needed by `dapo`. */
    numItemsInBatch?: number;
    /** `"sequence"` is GSPO's sequence-level ratio. Defaults to `"token"`. */
    importanceSamplingLevel?: ImportanceSamplingLevel;
}

export interface GrpoLossMetrics {
    /** Fraction of active tokens with `r < 1 - epsLow` and `A < 0`. */
    clipLowFraction: number;
    /** Fraction of active tokens with `r > 1 + epsHigh` and `A > 0`. */
    clipHighFraction: number;
    /** Mean k3 over active tokens (0 without `refLogp`). */
    meanKl: number;
    /** Mean importance ratio over active tokens. */
    meanRatio: number;
    activeTokens: number;
}

export interface GrpoLossResult {
    loss: number;
    /** `[N]` dLoss/dlogp (0 where masked out). */
    dLogp: Float32Array;
    /** `[N]` unweighted per-token loss (0 where masked out). */
    perTokenLoss: Float32Array;
    metrics: GrpoLossMetrics;
}

/** The decoder's shape, as the native model takes it. */
export interface NativeDecoderConfig {
    vocabSize: number;
    hiddenSize: number;
    intermediateSize: number;
    numLayers: number;
    numHeads: number;
    numKvHeads: number;
    headDim: number;
    rmsNormEps: number;
    ropeTheta: number;
    /** Linear rope_scaling factor. Defaults to `1` (none). */
    ropeScalingFactor?: number;
    tieWordEmbeddings?: boolean;
    attentionBias?: boolean;
    attentionOutputBias?: boolean;
    qkNorm?: boolean;
}

export interface NativeParameterSpec {
    name: string;
    shape: number[];
}

export interface NativePackedArgs {
    /** `[N]` token ids of every sequence, concatenated. */
    tokens: Int32Array;
    /** `[S + 1]` sequence boundaries. */
    cuSeqlens: Int32Array;
}

export interface NativeForwardBackwardArgs extends NativePackedArgs {
    kind: "sft" | "grpo";
    /** `[N]` token-aligned: 1 where token n's log-probability enters the loss (never a first position). */
    lossMask: Uint8Array;
    /** Logits are divided by it. Defaults to `1`. */
    temperature?: number;
    advantages?: Float32Array;
    oldLogp?: Float32Array;
    refLogp?: Float32Array;
    epsLow?: number;
    epsHigh?: number;
    beta?: number;
    lossType?: GrpoLossType;
    maxCompletionLength?: number;
    numItemsInBatch?: number;
    importanceSamplingLevel?: ImportanceSamplingLevel;
    /** SFT: the loss is −Σ mask·logp / sftDenominator. Defaults to the mask count. */
    sftDenominator?: number;
    /** Loss and gradients are multiplied by it (e.g. 1 / micro-batches). Defaults to `1`. */
    lossScale?: number;
}

export interface NativeForwardBackwardResult {
    loss: number;
    /** `[N]` token-aligned log-probabilities of the masked tokens (0 elsewhere). */
    logp: Float32Array;
    activeTokens: number;
    meanEntropy: number;
    grpo: Omit<GrpoLossMetrics, "activeTokens">;
}

export interface NativeSampled {
    /** Original sequence index of each sampled token. */
    seq: Int32Array;
    ids: Int32Array;
    logp: Float32Array;
}

export interface NativeGenerationSession {
    /** Drops `finished` sequences, feeds the rest their last token, samples again. */
    next(args: { finished: Int32Array }): Promise<NativeSampled>;
}

export interface NativeDecoder {
    parameterSpecs(): NativeParameterSpec[];
    setParameter(args: { name: string; data: Float32Array }): void;
    getParameter(args: { name: string }): Float32Array;
    getGradient(args: { name: string }): Float32Array;
    logprobs(
        args: NativePackedArgs & { temperature?: number; withEntropy?: boolean },
    ): Promise<{ logp: Float32Array; entropy?: Float32Array }>;
    forwardBackward(args: NativeForwardBackwardArgs): Promise<NativeForwardBackwardResult>;
    zeroGrad(): void;
    optimizerStep(args: {
        lr: number;
        beta1?: number;
        beta2?: number;
        eps?: number;
        weightDecay?: number;
        maxGradNorm?: number;
    }): Promise<{ gradNorm: number; clipScale: number; step: number }>;
    frozenCopy(): NativeDecoder;
    /** AdamW moments (empty before the first step) and step count. */
    getOptimizerState(): { m: Float32Array; v: Float32Array; step: number };
    setOptimizerState(args: { m: Float32Array; v: Float32Array; step: number }): void;
    startGeneration(
        args: NativePackedArgs & {
            capacity: number;
            seed?: number;
            temperature?: number;
            topK?: number;
            topP?: number;
        },
    ): Promise<NativeSampled & { session: NativeGenerationSession }>;
}

/** Everything the `.node` file exports. */
export interface Addon {
    runtimeInfo(): RuntimeInfo;
    setNumThreads(args: { numThreads: number }): void;
    /** FMA throughput of this machine in GFLOP/s (benchmarks' 100 %). Defaults: 0.5 s, 1 thread. */
    fmaPeak(args: { seconds?: number; threads?: number }): Promise<{ gflops: number }>;
    matmul(args: MatmulArgs): Promise<{ y: Float32Array }>;
    matmulBackwardInput(args: MatmulBackwardInputArgs): Promise<{ dx: Float32Array }>;
    matmulBackwardWeight(
        args: MatmulBackwardWeightArgs,
    ): Promise<{ dWeight: Float32Array; dBias?: Float32Array }>;
    attention(args: AttentionArgs): Promise<AttentionResult>;
    attentionBackward(args: AttentionBackwardArgs): Promise<AttentionBackwardResult>;
    attentionDecode(args: AttentionDecodeArgs): Promise<AttentionResult>;
    logprobs(args: LogprobsArgs): Promise<LogprobsResult>;
    logprobsBackward(args: LogprobsBackwardArgs): Promise<LogprobsBackwardResult>;
    grpoLoss(args: GrpoLossArgs): Promise<GrpoLossResult>;
    NativeDecoder: new (config: NativeDecoderConfig) => NativeDecoder;
}
