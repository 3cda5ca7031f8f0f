/**
 * SftConfig: every knob of a supervised fine-tuning run (R1's cold start and stage-3 SFT,
 * distillation), grouped and documented TRL-style (SFTConfig / TrainingArguments), with TRL's
 * defaults unless a comment says otherwise.
 *
 *   const config = resolveSftConfig(applySftOverrides(await loadSftConfigFile("sft.json"), ["training.epochs=1"]));
 *
 * resolveSftConfig merges a partial (code, a JSON/YAML file, CLI flags) over the defaults,
 * rejects unknown keys (suggesting the closest known one), checks types and runs
 * validateSftConfig, whose errors name the field and say how to fix it.
 *
 * Differences from TRL worth knowing:
 * - Sequences are always packed end to end with no padding (the PackedBatch layout); attention
 *   never crosses a sequence boundary, so packing changes speed, not the loss. A micro-batch is
 *   as many whole sequences as fit in `training.tokenBudget` tokens, not a fixed count.
 * - The loss is the mean NLL over every completion token of the whole optimizer step (all its
 *   micro-batches), so how a step is split into micro-batches does not change its gradient.
 */
import { LR_SCHEDULE_TYPES, checkLrSchedule, resolveWarmupSteps, type LrScheduleType } from "../../algo/schedules.js";
import { atLeast, ConfigError, describeValue, fail, inRange, intAtLeast, isPlainObject, nonEmpty, resolveWithSpec, setOverride, type Spec, applyDottedOverrides } from "../grpo/configSchema.js";
import { loadGrpoConfigFile } from "../grpo/config.js";

export { ConfigError } from "../grpo/configSchema.js";

// ---------------------------------------------------------------------------------------------
// The config

/** "prompt-completion": rows with a prompt and a completion column. "messages": rows with a chat (list of {role, content}). */
export type SftDataFormat = "prompt-completion" | "messages";

/** How a prompt-completion row's prompt is rendered: as-is, the R1-Zero template, or a user turn of the chat template. */
export type SftPromptTemplate = "none" | "r1-zero" | "chat";

export interface SftDataConfig {
    /** Training rows, a JSONL file. Required: no default. */
    path: string;
    /** Row layout (see SftDataFormat). Defaults to `"prompt-completion"`. */
    format: SftDataFormat;
    /** prompt-completion: the prompt column. Defaults to `"prompt"`. */
    promptColumn: string;
    /** prompt-completion: the completion column. Defaults to `"completion"`. */
    completionColumn: string;
    /** messages: the column holding the list of {role, content}. Defaults to `"messages"` (TRL). */
    messagesColumn: string;
    /**
     * prompt-completion only: "none" (the prompt text as-is), "r1-zero" (DeepSeek-R1-Zero's
     * template around the prompt), or "chat" (the row becomes [system?, user: prompt,
     * assistant: completion] through the model's chat template, masked like "messages").
     * Use the template the data was sampled with (rejection-sample --template). Defaults to `"none"`.
     */
    promptTemplate: SftPromptTemplate;
    /** System message put first when promptTemplate is "chat"; null = none. Defaults to `null`. */
    systemPrompt: string | null;
    /**
     * promptTemplate "none"/"r1-zero": end each completion with the tokenizer's EOS token, so the
     * model learns to stop (TRL does the same). Chat renderings carry their own end-of-turn
     * token and get nothing appended. Defaults to `true`.
     */
    appendEos: boolean;
    /**
     * Tokens per sequence at most (TRL max_length). Truncation rule: the start is kept and the
     * end is cut, so a long completion loses its tail while the prompt stays whole; a row whose
     * prompt alone fills maxLength (no completion token would remain) is dropped, counted and
     * reported as `droppedPromptTooLong`. For "messages" the prompt is everything before the
     * first assistant token. Defaults to `1024` (TRL).
     */
    maxLength: number;
    /** Held-out rows (same format) for the evaluation loss; null = none (see evalFraction). Defaults to `null`. */
    evalPath: string | null;
    /** Hold out this fraction of the training rows (seeded) for the evaluation loss; 0 = none. Defaults to `0`. */
    evalFraction: number;
}

export interface SftTrainingConfig {
    /** Passes over the training rows (used when maxSteps is -1). Defaults to `3` (TrainingArguments). */
    epochs: number;
    /** Optimizer steps in the run; -1 = as many as `epochs` passes take. Defaults to `-1` (TrainingArguments). */
    maxSteps: number;
    /** Micro-batches per optimizer step; their gradients are summed with one token-weighted normaliser. Defaults to `1` (TrainingArguments). */
    gradientAccumulationSteps: number;
    /**
     * Tokens per micro-batch: sequences, in the epoch's shuffled order, are packed into
     * micro-batches of at most this many tokens. Must be >= data.maxLength so any sequence
     * fits. Defaults to `4096` (r1-native; TRL counts sequences instead).
     */
    tokenBudget: number;
}

export interface SftLrScheduleConfig {
    /** "constant" | "linear" | "cosine" | "cosine_with_min_lr" (transformers' formulas, algo/schedules.ts). Defaults to `"linear"` (TrainingArguments). */
    type: LrScheduleType;
    /** Warm-up updates; > 0 takes precedence over warmupRatio. Defaults to `0`. */
    warmupSteps: number;
    /** Warm-up as a fraction of the run's steps, rounded up. Defaults to `0` (Open R1's SFT recipes use 0.05). */
    warmupRatio: number;
    /** Cosine waves; 0.5 = a half-cosine to the floor. Defaults to `0.5`. */
    numCycles: number;
    /** cosine_with_min_lr: floor as a fraction of learningRate. Defaults to `0` (Open R1 uses 0.1). */
    minLrRate: number;
}

export interface SftOptimisationConfig {
    /** Peak AdamW learning rate. Defaults to `2e-5` (TRL SFTConfig). */
    learningRate: number;
    lrSchedule: SftLrScheduleConfig;
    /** Global gradient-norm clip; 0 = off. Defaults to `1.0` (TrainingArguments). */
    maxGradNorm: number;
    /** AdamW decoupled weight decay (not on norms and biases). Defaults to `0.0` (TrainingArguments). */
    weightDecay: number;
    /** Defaults to `0.9` (TrainingArguments). */
    adamBeta1: number;
    /** Defaults to `0.999` (TrainingArguments). */
    adamBeta2: number;
    /** Defaults to `1e-8` (TrainingArguments). */
    adamEps: number;
}

export interface SftLoggingConfig {
    /** A metrics.jsonl line every N steps (loss averaged over them); the last step and eval steps always get one. Defaults to `1`. */
    logEverySteps: number;
    /** Checkpoint every N steps (and on stop); 0 = only on stop. Defaults to `500` (TrainingArguments save_steps). */
    saveEverySteps: number;
    /** Held-out loss every N steps; 0 = only after the last step. Needs data.evalPath or data.evalFraction. Defaults to `0`. */
    evalEverySteps: number;
}

export interface SftConfig {
    /** The starting model: a Hugging Face model folder. Required: no default. */
    model: string;
    /** Checkpoints, metrics.jsonl, the resolved config and the final model (in model/) go here. Defaults to `"runs/sft"`. */
    outputDir: string;
    /** Seeds the data order and the held-out split. Defaults to `42` (transformers). */
    seed: number;
    /**
     * Replace the model's RoPE base θ before training (written into the saved config.json);
     * null = keep. Open R1's OpenR1-Distill extends Qwen2.5-Math-7B to 32k context with θ =
     * 300000. Defaults to `null`.
     */
    ropeThetaOverride: number | null;
    /** Replace config.json's max_position_embeddings (e.g. 32768 with the θ above); null = keep. Defaults to `null`. */
    maxPositionEmbeddings: number | null;
    /** dtype of the final model in `<outputDir>/model` (checkpoints are always f32). Defaults to `"bf16"`. */
    saveDtype: "bf16" | "f32";
    data: SftDataConfig;
    training: SftTrainingConfig;
    optimisation: SftOptimisationConfig;
    logging: SftLoggingConfig;
}

type DeepPartial<T> = T extends readonly (infer U)[] ? U[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** What files, code and flags give: any subset of the fields. */
export type SftConfigInput = DeepPartial<SftConfig>;

export function defaultSftConfig(): SftConfig {
    return {
        model: "",
        outputDir: "runs/sft",
        seed: 42,
        ropeThetaOverride: null,
        maxPositionEmbeddings: null,
        saveDtype: "bf16",
        data: {
            path: "",
            format: "prompt-completion",
            promptColumn: "prompt",
            completionColumn: "completion",
            messagesColumn: "messages",
            promptTemplate: "none",
            systemPrompt: null,
            appendEos: true,
            maxLength: 1024,
            evalPath: null,
            evalFraction: 0,
        },
        training: { epochs: 3, maxSteps: -1, gradientAccumulationSteps: 1, tokenBudget: 4096 },
        optimisation: {
            learningRate: 2e-5,
            lrSchedule: { type: "linear", warmupSteps: 0, warmupRatio: 0, numCycles: 0.5, minLrRate: 0 },
            maxGradNorm: 1.0,
            weightDecay: 0.0,
            adamBeta1: 0.9,
            adamBeta2: 0.999,
            adamEps: 1e-8,
        },
        logging: { logEverySteps: 1, saveEverySteps: 500, evalEverySteps: 0 },
    };
}

// ---------------------------------------------------------------------------------------------
// Schema (types and known keys; ranges live in validateSftConfig)

const num: Spec = { kind: "number" };
const int: Spec = { kind: "number", integer: true };
const str: Spec = { kind: "string" };
const bool: Spec = { kind: "boolean" };
const en = (...values: string[]): Spec => ({ kind: "enum", values });

const SFT_SCHEMA: Spec = {
    kind: "object",
    fields: {
        model: str,
        outputDir: str,
        seed: int,
        ropeThetaOverride: { kind: "number", nullable: true },
        maxPositionEmbeddings: { kind: "number", integer: true, nullable: true },
        saveDtype: en("bf16", "f32"),
        data: {
            kind: "object",
            fields: {
                path: str,
                format: en("prompt-completion", "messages"),
                promptColumn: str,
                completionColumn: str,
                messagesColumn: str,
                promptTemplate: en("none", "r1-zero", "chat"),
                systemPrompt: { kind: "string", nullable: true },
                appendEos: bool,
                maxLength: int,
                evalPath: { kind: "string", nullable: true },
                evalFraction: num,
            },
        },
        training: { kind: "object", fields: { epochs: int, maxSteps: int, gradientAccumulationSteps: int, tokenBudget: int } },
        optimisation: {
            kind: "object",
            fields: {
                learningRate: num,
                lrSchedule: {
                    kind: "object",
                    fields: { type: en(...LR_SCHEDULE_TYPES), warmupSteps: int, warmupRatio: num, numCycles: num, minLrRate: num },
                },
                maxGradNorm: num,
                weightDecay: num,
                adamBeta1: num,
                adamBeta2: num,
                adamEps: num,
            },
        },
        logging: { kind: "object", fields: { logEverySteps: int, saveEverySteps: int, evalEverySteps: int } },
    },
};

// ---------------------------------------------------------------------------------------------
// Resolve and validate

/** The partial merged over the defaults, type-checked and validated. */
export function resolveSftConfig(partial: SftConfigInput = {}): SftConfig {
    const config = resolveWithSpec(SFT_SCHEMA, SFT_SCHEMA, partial, defaultSftConfig()) as SftConfig;
    validateSftConfig(config);
    return config;
}


/** Range and cross-field checks; throws a ConfigError naming the field and the fix. */
export function validateSftConfig(config: SftConfig): void {
    nonEmpty(config.model, "model", "the starting model's Hugging Face folder (--model DIR)");
    nonEmpty(config.outputDir, "outputDir", "the folder for checkpoints, metrics and the final model (--output-dir DIR)");
    if (!Number.isSafeInteger(config.seed)) fail("seed", `must be an integer; got ${String(config.seed)}`);
    if (config.ropeThetaOverride !== null && !(Number.isFinite(config.ropeThetaOverride) && config.ropeThetaOverride > 0)) {
        fail("ropeThetaOverride", `must be a number > 0 (e.g. 300000) or null to keep the model's; got ${String(config.ropeThetaOverride)}`);
    }
    if (config.maxPositionEmbeddings !== null) intAtLeast(config.maxPositionEmbeddings, 1, "maxPositionEmbeddings", " (or null to keep the model's)");

    const d = config.data;
    nonEmpty(d.path, "data.path", "a JSONL file of training rows (--data FILE)");
    for (const key of ["promptColumn", "completionColumn", "messagesColumn"] as const) nonEmpty(d[key], `data.${key}`, "a column name");
    if (d.format === "messages" && d.promptTemplate !== "none") {
        fail("data.promptTemplate", `applies to format "prompt-completion" only ("messages" rows always go through the chat template); remove it or set data.format: prompt-completion`);
    }
    if (d.systemPrompt !== null && d.promptTemplate !== "chat") {
        fail("data.systemPrompt", `applies to promptTemplate "chat" only; set data.promptTemplate: chat or remove it`);
    }
    intAtLeast(d.maxLength, 2, "data.maxLength", " (a prompt token and a completion token)");
    inRange(d.evalFraction, 0, 1, "data.evalFraction", "[)");
    if (d.evalPath !== null && d.evalFraction > 0) {
        fail("data.evalFraction", `(${d.evalFraction}) and data.evalPath are both set: hold out a fraction of the training rows or give a separate file, not both`);
    }
    if (d.evalPath !== null) nonEmpty(d.evalPath, "data.evalPath", "a JSONL file, or null for none");

    const t = config.training;
    intAtLeast(t.epochs, 1, "training.epochs");
    if (!(Number.isSafeInteger(t.maxSteps) && (t.maxSteps === -1 || t.maxSteps >= 1))) {
        fail("training.maxSteps", `must be -1 (train for training.epochs) or an integer >= 1; got ${String(t.maxSteps)}`);
    }
    intAtLeast(t.gradientAccumulationSteps, 1, "training.gradientAccumulationSteps");
    intAtLeast(t.tokenBudget, 1, "training.tokenBudget");
    if (t.tokenBudget < d.maxLength) {
        fail("training.tokenBudget", `(${t.tokenBudget}) must hold one whole sequence: data.maxLength is ${d.maxLength}; raise tokenBudget or lower maxLength`);
    }

    const o = config.optimisation;
    atLeast(o.learningRate, 0, "optimisation.learningRate");
    try {
        checkLrSchedule(o.lrSchedule, "optimisation.lrSchedule");
    } catch (err) {
        const m = /^(optimisation\.lrSchedule[\w.]*)/.exec((err as Error).message);
        throw new ConfigError(m?.[1] ?? "optimisation.lrSchedule", (err as Error).message);
    }
    if (t.maxSteps > 0 && resolveWarmupSteps(o.lrSchedule, t.maxSteps) > t.maxSteps) {
        fail("optimisation.lrSchedule.warmupSteps", `(${o.lrSchedule.warmupSteps}) exceeds training.maxSteps (${t.maxSteps}): the rate would never reach learningRate`);
    }
    atLeast(o.maxGradNorm, 0, "optimisation.maxGradNorm", " (0 = no clipping)");
    atLeast(o.weightDecay, 0, "optimisation.weightDecay");
    inRange(o.adamBeta1, 0, 1, "optimisation.adamBeta1", "[)");
    inRange(o.adamBeta2, 0, 1, "optimisation.adamBeta2", "[)");
    if (!(Number.isFinite(o.adamEps) && o.adamEps > 0)) fail("optimisation.adamEps", `must be > 0; got ${String(o.adamEps)}`);

    const l = config.logging;
    intAtLeast(l.logEverySteps, 1, "logging.logEverySteps");
    intAtLeast(l.saveEverySteps, 0, "logging.saveEverySteps", " (0 = only on stop)");
    intAtLeast(l.evalEverySteps, 0, "logging.evalEverySteps", " (0 = after the last step only)");
    if (l.evalEverySteps > 0 && d.evalPath === null && d.evalFraction === 0) {
        fail("logging.evalEverySteps", `(${l.evalEverySteps}) needs held-out rows: set data.evalPath or data.evalFraction, or set evalEverySteps to 0`);
    }
}

// ---------------------------------------------------------------------------------------------
// Files and flags

/** A config file (.json, .yaml or .yml) as a partial config; resolveSftConfig checks it. */
export async function loadSftConfigFile(file: string): Promise<SftConfigInput> {
    // The reader is schema-free (JSON/YAML to a plain object); the GRPO module owns it.
    const data: unknown = await loadGrpoConfigFile(file);
    if (!isPlainObject(data)) throw new ConfigError("", `${file}: the config must be a mapping of keys; got ${describeValue(data)}`);
    return data as SftConfigInput;
}

/**
 * `partial` with overrides applied: "training.epochs=1" strings or a { "dotted.key": value }
 * object. String values are typed by the field they set; unknown keys are errors naming the
 * closest known key. Returns a new object.
 */
export function applySftOverrides(partial: SftConfigInput, flags: readonly string[] | Readonly<Record<string, unknown>>): SftConfigInput {
    return applyDottedOverrides(SFT_SCHEMA, defaultSftConfig(), partial as Record<string, unknown>, flags, "training.epochs=1") as SftConfigInput;
}
