/**
 * Policy: the trainable language model. A Hugging Face folder (or a config)
 * in, the native decoder underneath, the same folder layout out.
 *
 * Log-probabilities are token-aligned: `logp[n] = log p(tokens[n] | earlier
 * tokens of the same sequence)`, 0 at each sequence's first position.
 */
import { mulberry32 } from "../algo/mulberry32.js";
import type { NativeDecoder, NativeForwardBackwardResult, GrpoLossType, ImportanceSamplingLevel } from "../engine/AddonTypes.js";
import { loadAddon } from "../engine/loadAddon.js";
import type { CharTokenizerFiles } from "./charTokenizer.js";
import { type DecoderConfig, type DecoderConfigInit, makeDecoderConfig, parameterSpecs } from "./config.js";
import { defaultGenerationConfig, type GenerationConfig } from "./generationConfig.js";
import { type GenerateOptions, type GeneratedSample, generateSamples } from "./generate.js";
import { readModelFolder, writeModelFolder } from "./modelFolder.js";
import type { TensorMap, WriteDtype } from "./safetensors.js";
import { HfTokenizer } from "./tokenizer.js";

/** Packed sequences with no padding (the PackedBatch token layout). */
export interface PackedSequences {
    /** `[N]` */
    tokens: Int32Array;
    /** `[S + 1]` */
    cuSeqlens: Int32Array;
}

/** The loss of one training micro-batch. */
export type PolicyLoss =
    | {
          kind: "grpo";
          /** `[N]` token-aligned: 1 where token n's log-probability enters the loss. */
          lossMask: Uint8Array;
          /** `[N]` per-token advantages. */
          advantages: Float32Array;
          /** `[N]` sampling-time log-probs; absent: ratio 1. */
          oldLogp?: Float32Array;
          /** `[N]` reference log-probs; required when `beta > 0`. */
          refLogp?: Float32Array;
          epsLow: number;
          epsHigh: number;
          beta: number;
          lossType: GrpoLossType;
          maxCompletionLength?: number;
          numItemsInBatch?: number;
          importanceSamplingLevel?: ImportanceSamplingLevel;
          /** The sampling temperature (logits are divided by it). Defaults to `1`. */
          temperature?: number;
      }
    | {
          kind: "sft";
          lossMask: Uint8Array;
          /** Divide the summed NLL by this (e.g. the masked tokens of the whole accumulated batch). Defaults to this micro-batch's mask count. */
          denominator?: number;
      };

export interface OptimizerStepOptions {
    lr: number;
    /** Defaults to `0.9`. */
    beta1?: number;
    /** Defaults to `0.999`. */
    beta2?: number;
    /** Defaults to `1e-8`. */
    eps?: number;
    /** Decoupled weight decay, not applied to norms and biases. Defaults to `0`. */
    weightDecay?: number;
    /** Clip the global gradient norm to this; 0 = no clipping. Defaults to `0`. */
    maxGradNorm?: number;
}

export interface FromConfigOptions {
    /** Seed of the initial weights. Defaults to `0`. */
    seed?: number;
    /** Standard deviation of the normal init of matrices (transformers' initializer_range). Defaults to `0.02`. */
    initStd?: number;
    tokenizer?: HfTokenizer | null;
    /** Tokenizer files to write with `save()` (e.g. from buildCharTokenizer). */
    tokenizerFiles?: CharTokenizerFiles;
    generationConfig?: GenerationConfig;
}

export interface SaveOptions {
    /** Defaults to `"bf16"`. */
    dtype?: WriteDtype;
    /** Replace an existing non-empty folder. Defaults to `false`. */
    overwrite?: boolean;
}

/** Box–Muller normals from a seeded mulberry32 stream (deterministic init). */
function normalStream(seed: number): () => number {
    const next = mulberry32(seed);
    const uniform = () => (next() + 0.5) / 4294967296;  // (0, 1): log() stays finite
    return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

function nativeConfig(c: DecoderConfig) {
    return {
        vocabSize: c.vocabSize,
        hiddenSize: c.hiddenSize,
        intermediateSize: c.intermediateSize,
        numLayers: c.numLayers,
        numHeads: c.numHeads,
        numKvHeads: c.numKvHeads,
        headDim: c.headDim,
        rmsNormEps: c.rmsNormEps,
        ropeTheta: c.ropeTheta,
        ropeScalingFactor: c.ropeScaling.type === "linear" ? c.ropeScaling.factor : 1,
        tieWordEmbeddings: c.tieWordEmbeddings,
        attentionBias: c.attentionBias,
        attentionOutputBias: c.attentionOutputBias,
        qkNorm: c.qkNorm,
    };
}

export class Policy {
    readonly config: DecoderConfig;
    readonly tokenizer: HfTokenizer | null;
    readonly generationConfig: GenerationConfig;
    /** @internal */
    readonly native: NativeDecoder;
    private readonly tokenizerSourceDir?: string;
    private readonly tokenizerFiles?: CharTokenizerFiles;

    private constructor(
        config: DecoderConfig,
        native: NativeDecoder,
        extras: {
            tokenizer: HfTokenizer | null;
            generationConfig: GenerationConfig;
            tokenizerSourceDir?: string;
            tokenizerFiles?: CharTokenizerFiles;
        },
    ) {
        this.config = config;
        this.native = native;
        this.tokenizer = extras.tokenizer;
        this.generationConfig = extras.generationConfig;
        this.tokenizerSourceDir = extras.tokenizerSourceDir;
        this.tokenizerFiles = extras.tokenizerFiles;
    }

    /** Loads a Hugging Face model folder (config.json, safetensors, tokenizer files). */
    static async fromPretrained(dir: string): Promise<Policy> {
        const folder = await readModelFolder(dir, { loadTensors: false });
        const native = new (loadAddon().NativeDecoder)(nativeConfig(folder.config));
        const names = native.parameterSpecs().map((s) => s.name);
        const tensors = await folder.loadParameters(names);
        for (const name of names) {
            const tensor = tensors.get(name);
            if (!tensor) throw new Error(`${dir}: parameter "${name}" is missing`);
            native.setParameter({ name, data: tensor.data });
            tensors.delete(name);  // let the float32 copy go as soon as it is in the model
        }
        return new Policy(folder.config, native, {
            tokenizer: folder.tokenizer,
            generationConfig: folder.generationConfig,
            tokenizerSourceDir: folder.tokenizer ? dir : undefined,
        });
    }

    /** A randomly initialised model: matrices ~ N(0, initStd²), norms 1, biases 0. */
    static fromConfig(init: DecoderConfig | DecoderConfigInit, options: FromConfigOptions = {}): Policy {
        const config = "ropeScaling" in init && "qkNorm" in init ? (init as DecoderConfig) : makeDecoderConfig(init);
        const native = new (loadAddon().NativeDecoder)(nativeConfig(config));
        const normal = normalStream(options.seed ?? 0);
        const std = options.initStd ?? 0.02;
        for (const spec of native.parameterSpecs()) {
            const size = spec.shape.reduce((a, b) => a * b, 1);
            const data = new Float32Array(size);
            const isNorm = spec.name.endsWith("norm.weight");
            const isBias = spec.name.endsWith(".bias");
            if (isNorm) data.fill(1);
            else if (!isBias) for (let i = 0; i < size; i++) data[i] = std * normal();
            native.setParameter({ name: spec.name, data });
        }
        return new Policy(config, native, {
            tokenizer: options.tokenizer ?? null,
            generationConfig: options.generationConfig ?? defaultGenerationConfig(),
            tokenizerFiles: options.tokenizerFiles,
        });
    }

    /** Parameter names in Hugging Face order. */
    parameterNames(): string[] {
        return this.native.parameterSpecs().map((s) => s.name);
    }

    /** A copy of one parameter. */
    getParameter(name: string): Float32Array {
        return this.native.getParameter({ name });
    }

    setParameter(name: string, data: Float32Array): void {
        this.native.setParameter({ name, data });
    }

    /** A copy of one parameter's accumulated gradient. */
    getGradient(name: string): Float32Array {
        return this.native.getGradient({ name });
    }

    /** Every parameter as a tensor map (copies). */
    parameters(): TensorMap {
        const out: TensorMap = new Map();
        for (const spec of this.native.parameterSpecs()) out.set(spec.name, { shape: spec.shape, data: this.getParameter(spec.name) });
        return out;
    }

    /** Token-aligned log-probabilities (and entropies) of packed sequences. */
    async logprobs(
        batch: PackedSequences,
        options: { temperature?: number; withEntropy?: boolean } = {},
    ): Promise<{ logp: Float32Array; entropy?: Float32Array }> {
        return this.native.logprobs({ ...batch, ...options });
    }

    /** Forward, loss and backward of one micro-batch; gradients accumulate until zeroGrad(). */
    async forwardBackward(batch: PackedSequences, loss: PolicyLoss): Promise<NativeForwardBackwardResult> {
        if (loss.kind === "sft") {
            return this.native.forwardBackward({ ...batch, kind: "sft", lossMask: loss.lossMask, sftDenominator: loss.denominator });
        }
        return this.native.forwardBackward({ ...batch, ...loss });
    }

    zeroGrad(): void {
        this.native.zeroGrad();
    }

    /** Clips the gradient norm and takes one AdamW step. */
    async optimizerStep(options: OptimizerStepOptions): Promise<{ gradNorm: number; clipScale: number; step: number }> {
        return this.native.optimizerStep(options);
    }

    /** A frozen copy of the weights (no gradients or optimizer state): a reference model. */
    frozenCopy(): Policy {
        return new Policy(this.config, this.native.frozenCopy(), {
            tokenizer: this.tokenizer,
            generationConfig: this.generationConfig,
            tokenizerSourceDir: this.tokenizerSourceDir,
            tokenizerFiles: this.tokenizerFiles,
        });
    }

    /** Batched sampling with a KV cache; deterministic for a seed. */
    async generate(prompts: readonly (string | readonly number[])[], options: GenerateOptions): Promise<GeneratedSample[]> {
        return generateSamples(this, prompts, options);
    }

    /** Writes the Hugging Face layout: config.json, safetensors, generation_config.json, tokenizer files. */
    async save(dir: string, options: SaveOptions = {}): Promise<string[]> {
        return writeModelFolder(dir, {
            config: this.config,
            tensors: this.parameters(),
            dtype: options.dtype ?? "bf16",
            generationConfig: this.generationConfig,
            tokenizerSourceDir: this.tokenizerFiles ? undefined : this.tokenizerSourceDir,
            tokenizerFiles: this.tokenizerFiles,
            overwrite: options.overwrite,
        });
    }

    /** Token ids of a text (needs a tokenizer). */
    encode(text: string): number[] {
        return this.requireTokenizer().encode(text);
    }

    decode(ids: ArrayLike<number>, options: { skipSpecialTokens?: boolean } = {}): string {
        return this.requireTokenizer().decode(ids, options);
    }

    /** @internal */
    requireTokenizer(): HfTokenizer {
        if (!this.tokenizer) throw new Error("this policy has no tokenizer: load one with the model folder or pass token ids");
        return this.tokenizer;
    }
}

/** Names of the parameters a config implies (for checks without building a model). */
export function policyParameterNames(config: DecoderConfig): string[] {
    return parameterSpecs(config).map((s) => s.name);
}
