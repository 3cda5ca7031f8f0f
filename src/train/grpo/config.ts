/**
 * GrpoConfig: every knob of a GRPO run, grouped and documented, TRL-style (GRPOConfig), with
 * defaults that follow TRL's HEAD unless a comment says otherwise.
 *
 *   const config = resolveGrpoConfig(applyOverrides(await loadGrpoConfigFile("run.yaml"), ["generation.temperature=0.7"]));
 *
 * resolveGrpoConfig merges a partial (from code, a JSON/YAML file, CLI flags) over the
 * defaults, rejects unknown keys (suggesting the closest known one), checks types, fills the
 * derived defaults (epsilonHigh = epsilon) and runs validateGrpoConfig, whose errors name the
 * field and say how to fix it.
 */
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import type { GrpoLossType, ImportanceSamplingLevel } from "../../engine/AddonTypes.js";
import type { AdvantageScale } from "../../algo/advantages.js";
import type { CurriculumSchedule } from "../../algo/curriculum.js";
import type { ShortfallPolicy } from "../../algo/dynamicSampling.js";
import type { HistoryResamplingMode } from "../../algo/historyResampling.js";
import { LR_SCHEDULE_TYPES, checkLrSchedule, resolveWarmupSteps, type LrScheduleType } from "../../algo/schedules.js";
import type { PromptTemplateName } from "../../data/promptTemplates.js";
import { atLeast, ConfigError, describeValue, fail, inRange, intAtLeast, isPlainObject, nonEmpty, resolveWithSpec, setOverride, type Spec, applyDottedOverrides } from "./configSchema.js";

export { ConfigError } from "./configSchema.js";

// ---------------------------------------------------------------------------------------------
// The config

export interface GrpoDataConfig {
    /** Training prompts: a JSONL/Parquet file or HF dataset folder, or "builtin:arithmetic". Defaults to `"builtin:arithmetic"`. */
    dataset: string;
    /** Held-out prompts for evaluation; null = the dataset's own test split where it has one. Defaults to `null`. */
    evalDataset: string | null;
    /** "r1-zero" (DeepSeek-R1-Zero's template, for base models) or "chat" (the model's chat template). Defaults to `"r1-zero"`. */
    promptTemplate: PromptTemplateName;
    /** System message for the "chat" template; null = none. Defaults to `null`. */
    systemPrompt: string | null;
}

export interface GrpoGenerationConfig {
    /** G: completions per prompt; >= 2, since advantages are normalised within a group. Defaults to `8` (TRL). */
    numGenerations: number;
    /** B: prompts per optimizer step (B·G completions). Defaults to `4` (r1-native; TRL sets this through batch sizes). */
    promptsPerStep: number;
    /** Longer prompts are an error, not truncated. Defaults to `512` (TRL's historical default). */
    maxPromptLength: number;
    /** Completion tokens per rollout; also dr_grpo's loss normaliser. Defaults to `256` (TRL 0.18; HEAD has 512). */
    maxCompletionLength: number;
    /** Sampling temperature; logits are divided by it for the log-probs too. Defaults to `1.0` (TRL). */
    temperature: number;
    /** Nucleus sampling; 1 = off. Defaults to `1.0` (TRL). */
    topP: number;
    /** Top-k sampling; 0 = off. Defaults to `0` (TRL). */
    topK: number;
}

export interface GrpoLrScheduleConfig {
    /** "constant" | "linear" | "cosine" | "cosine_with_min_lr" (transformers' formulas, algo/schedules.ts). Defaults to `"linear"` (TrainingArguments). */
    type: LrScheduleType;
    /** Warm-up updates; > 0 takes precedence over warmupRatio. Defaults to `0`. */
    warmupSteps: number;
    /** Warm-up as a fraction of maxSteps, rounded up. Defaults to `0`. */
    warmupRatio: number;
    /** Cosine waves; 0.5 = a half-cosine to the floor. Defaults to `0.5`. */
    numCycles: number;
    /** cosine_with_min_lr: floor as a fraction of learningRate. Defaults to `0`. */
    minLrRate: number;
}

export interface GrpoOptimisationConfig {
    /** Peak AdamW learning rate. Defaults to `1e-6` (TRL GRPOConfig; SRPO and verl use 1e-6 too). */
    learningRate: number;
    lrSchedule: GrpoLrScheduleConfig;
    /** Optimizer steps in the run (T of the schedule). Defaults to `500` (r1-native; TRL trains by epochs). */
    maxSteps: number;
    /** μ: optimizer passes over each batch of rollouts (old log-probs are recomputed when > 1). Defaults to `1` (TRL). */
    numIterations: number;
    /** KL coefficient (k3 estimator against the frozen initial policy); 0 = no reference model. Defaults to `0.0` (TRL; R1 used 0.001). */
    beta: number;
    /** Lower clip ε: the ratio is clipped to [1 − ε, 1 + εHigh]. Defaults to `0.2` (TRL). */
    epsilon: number;
    /** Upper clip; unset = epsilon. DAPO's clip-higher uses 0.28. Defaults to `epsilon`. */
    epsilonHigh: number;
    /**
     * Loss normalisation: "grpo" (per-sequence mean, then batch mean), "bnpo" (tokens of the
     * micro-batch), "dr_grpo" (B·G·maxCompletionLength), "dapo" (tokens of the whole step).
     * Defaults to `"dapo"` (TRL HEAD; TRL 0.18, which open-r1 pins, had "bnpo").
     */
    lossType: GrpoLossType;
    /** "token" ratios, or "sequence" (GSPO: the length-normalised sequence ratio). Defaults to `"token"` (TRL). */
    importanceSamplingLevel: ImportanceSamplingLevel;
    /** Advantage scaling: "group" std, "batch" std, or "none" (Dr. GRPO). Defaults to `"group"` (TRL). */
    scaleRewards: AdvantageScale;
    /** Truncated completions (no EOS) leave the loss and its token count (DAPO overlong filtering). Defaults to `false` (TRL). */
    maskTruncatedCompletions: boolean;
    /** Global gradient-norm clip; 0 = off. Defaults to `1.0` (TrainingArguments). */
    maxGradNorm: number;
    /** AdamW decoupled weight decay. Defaults to `0.0` (TrainingArguments). */
    weightDecay: number;
    /** Defaults to `0.9` (TrainingArguments). */
    adamBeta1: number;
    /** Defaults to `0.999` (TrainingArguments). */
    adamBeta2: number;
    /** Defaults to `1e-8` (TrainingArguments). */
    adamEps: number;
    /**
     * Tokens per micro-batch. Packed sequences are cut into micro-batches of at most this many
     * tokens and their gradients accumulated, so gradient accumulation is derived, not set: it
     * is the number of micro-batches a step's rollouts need. The loss normalisation (lossType)
     * keeps the step's gradient independent of how it was split. Must hold one whole sequence
     * (maxPromptLength + maxCompletionLength). Defaults to `4096`.
     */
    tokenBudget: number;
}

export interface DynamicSamplingConfig {
    /** DAPO dynamic sampling: drop groups with equal rewards and generate more. Defaults to `false`. */
    enabled: boolean;
    /** Generation rounds per step before training on what there is. Defaults to `10` (DAPO recipe's max_num_gen_batches). */
    maxRounds: number;
    /** When rounds run out: "partial" (fewer groups) or "padZeroStd" (top up with dropped groups). Defaults to `"partial"`. */
    shortfall: ShortfallPolicy;
}

export interface HistoryResamplingConfig {
    /** SRPO history resampling: after each epoch drop prompts whose rollouts were all correct. Defaults to `false`. */
    enabled: boolean;
    /** The reward (by name, one of `rewards`) that says whether a rollout is correct. Defaults to `"accuracy"`. */
    rewardName: string;
    /** A rollout is correct when that reward is >= threshold. Defaults to `1.0`. */
    threshold: number;
    /** "permanent" drops, or "perEpoch" (excluded for the next epoch only). Defaults to `"permanent"`. */
    mode: HistoryResamplingMode;
}

export interface CurriculumConfig {
    /** Order prompts easy → hard by a difficulty column. Defaults to `false`. */
    enabled: boolean;
    /** The column holding numbers or "easy" | "medium" | "hard". Defaults to `"difficulty"`. */
    column: string;
    /** { type: "sorted" } | { type: "linear", startFraction, rampSteps } | { type: "staged", stages }. Defaults to `{ type: "linear", startFraction: 0.25, rampSteps: 100 }`. */
    schedule: CurriculumSchedule;
}

export interface RewardSpec {
    /** A registered reward name (see rewards/registry.ts) or one exported by a rewardModules file. */
    name: string;
    /** Weight in the summed reward. Defaults to `1`. */
    weight: number;
    /** Options for the reward's factory. Defaults to `{}`. */
    options: Record<string, unknown>;
}

export interface GrpoLoggingConfig {
    /** Metrics line to metrics.jsonl every N steps. Defaults to `1`. */
    logEverySteps: number;
    /** Write sample completions to a file every N steps; 0 = never. Defaults to `10`. */
    sampleEverySteps: number;
    /** Checkpoint every N steps (and at the end); 0 = only at the end. Defaults to `50`. */
    saveEverySteps: number;
    /** Evaluate every N steps; 0 = never. Defaults to `0`. */
    evalEverySteps: number;
    /** k: samples per eval prompt (pass@1 is averaged over them). Defaults to `4`. */
    evalSamples: number;
    /** Problems taken from data.evalDataset (a built-in split is generated at this size). Defaults to `200`. */
    evalProblems: number;
    /** Defaults to `0.6` (DeepSeek-R1's evaluation setting). */
    evalTemperature: number;
    /** Defaults to `0.95` (DeepSeek-R1's evaluation setting). */
    evalTopP: number;
}

export interface GrpoConfig {
    /** The policy: a Hugging Face model folder or "builtin:<name>". Required: no default. */
    model: string;
    /** Checkpoints, metrics.jsonl, samples and the resolved config go here. Defaults to `"runs/grpo"`. */
    outputDir: string;
    /** Seeds every random draw (data order, sampling, curriculum). Defaults to `42` (transformers). */
    seed: number;
    data: GrpoDataConfig;
    generation: GrpoGenerationConfig;
    optimisation: GrpoOptimisationConfig;
    dynamicSampling: DynamicSamplingConfig;
    historyResampling: HistoryResamplingConfig;
    curriculum: CurriculumConfig;
    /** Rewards summed with their weights. Defaults to accuracy (1) + format (1). */
    rewards: RewardSpec[];
    /** User modules of reward functions to import before the rewards are built. Defaults to `[]`. */
    rewardModules: string[];
    logging: GrpoLoggingConfig;
}

type DeepPartial<T> = T extends readonly (infer U)[] ? U[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** What files, code and flags give: any subset of the fields; a reward may be just its name, or omit weight/options. */
export type GrpoConfigInput = DeepPartial<Omit<GrpoConfig, "rewards" | "optimisation" | "curriculum">> & {
    rewards?: (string | { name: string; weight?: number; options?: Record<string, unknown> })[];
    optimisation?: DeepPartial<Omit<GrpoOptimisationConfig, "epsilonHigh">> & { epsilonHigh?: number | null };
    curriculum?: DeepPartial<Omit<CurriculumConfig, "schedule">> & { schedule?: CurriculumSchedule };
};

export function defaultGrpoConfig(): GrpoConfig {
    return {
        model: "",
        outputDir: "runs/grpo",
        seed: 42,
        data: { dataset: "builtin:arithmetic", evalDataset: null, promptTemplate: "r1-zero", systemPrompt: null },
        generation: {
            numGenerations: 8,
            promptsPerStep: 4,
            maxPromptLength: 512,
            maxCompletionLength: 256,
            temperature: 1.0,
            topP: 1.0,
            topK: 0,
        },
        optimisation: {
            learningRate: 1e-6,
            lrSchedule: { type: "linear", warmupSteps: 0, warmupRatio: 0, numCycles: 0.5, minLrRate: 0 },
            maxSteps: 500,
            numIterations: 1,
            beta: 0.0,
            epsilon: 0.2,
            epsilonHigh: 0.2,
            lossType: "dapo",
            importanceSamplingLevel: "token",
            scaleRewards: "group",
            maskTruncatedCompletions: false,
            maxGradNorm: 1.0,
            weightDecay: 0.0,
            adamBeta1: 0.9,
            adamBeta2: 0.999,
            adamEps: 1e-8,
            tokenBudget: 4096,
        },
        dynamicSampling: { enabled: false, maxRounds: 10, shortfall: "partial" },
        historyResampling: { enabled: false, rewardName: "accuracy", threshold: 1.0, mode: "permanent" },
        curriculum: { enabled: false, column: "difficulty", schedule: { type: "linear", startFraction: 0.25, rampSteps: 100 } },
        rewards: [
            { name: "accuracy", weight: 1, options: {} },
            { name: "format", weight: 1, options: {} },
        ],
        rewardModules: [],
        logging: {
            logEverySteps: 1,
            sampleEverySteps: 10,
            saveEverySteps: 50,
            evalEverySteps: 0,
            evalSamples: 4,
            evalProblems: 200,
            evalTemperature: 0.6,
            evalTopP: 0.95,
        },
    };
}

// ---------------------------------------------------------------------------------------------
// Schema (types and known keys; ranges live in validateGrpoConfig)

const num: Spec = { kind: "number" };
const int: Spec = { kind: "number", integer: true };
const str: Spec = { kind: "string" };
const bool: Spec = { kind: "boolean" };
const en = (...values: string[]): Spec => ({ kind: "enum", values });

function checkKeys(value: Record<string, unknown>, known: readonly string[], path: string): void {
    for (const key of Object.keys(value)) {
        if (!known.includes(key)) throw new ConfigError(`${path}.${key}`, `unknown key "${path}.${key}" (known: ${known.join(", ")})`);
    }
}

function parseRewards(value: unknown, path: string): RewardSpec[] {
    if (!Array.isArray(value)) throw new ConfigError(path, `${path} must be an array of { name, weight, options }; got ${describeValue(value)}`);
    return value.map((entry: unknown, i) => {
        const at = `${path}[${i}]`;
        if (typeof entry === "string") return { name: entry, weight: 1, options: {} };
        if (!isPlainObject(entry)) throw new ConfigError(at, `${at} must be { name, weight, options } or a name; got ${describeValue(entry)}`);
        checkKeys(entry, ["name", "weight", "options"], at);
        if (typeof entry.name !== "string" || entry.name === "") throw new ConfigError(`${at}.name`, `${at}.name must be a non-empty string; got ${describeValue(entry.name)}`);
        const weight = entry.weight ?? 1;
        if (typeof weight !== "number" || !Number.isFinite(weight)) throw new ConfigError(`${at}.weight`, `${at}.weight must be a finite number; got ${describeValue(weight)}`);
        const options = entry.options ?? {};
        if (!isPlainObject(options)) throw new ConfigError(`${at}.options`, `${at}.options must be an object; got ${describeValue(options)}`);
        return { name: entry.name, weight, options: JSON.parse(JSON.stringify(options)) as Record<string, unknown> };
    });
}

function parseStrings(value: unknown, path: string): string[] {
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string" && v !== "")) {
        throw new ConfigError(path, `${path} must be an array of non-empty strings; got ${describeValue(value)}`);
    }
    return value.slice() as string[];
}

function parseCurriculumSchedule(value: unknown, path: string): CurriculumSchedule {
    if (!isPlainObject(value)) throw new ConfigError(path, `${path} must be an object with a "type"; got ${describeValue(value)}`);
    const type = value.type;
    const need = (key: string, ok: boolean, what: string): void => {
        if (!ok) throw new ConfigError(`${path}.${key}`, `${path}.${key} must be ${what}; got ${describeValue(value[key])}`);
    };
    switch (type) {
        case "sorted":
            checkKeys(value, ["type"], path);
            return { type };
        case "linear": {
            checkKeys(value, ["type", "startFraction", "rampSteps"], path);
            const { startFraction, rampSteps } = value;
            need("startFraction", typeof startFraction === "number" && startFraction > 0 && startFraction <= 1, "a number in (0, 1]");
            need("rampSteps", Number.isSafeInteger(rampSteps) && (rampSteps as number) >= 1, "an integer >= 1");
            return { type, startFraction: startFraction as number, rampSteps: rampSteps as number };
        }
        case "staged": {
            checkKeys(value, ["type", "stages"], path);
            const stages = value.stages;
            need("stages", Array.isArray(stages) && stages.length > 0, "a non-empty array of { untilStep, maxDifficulty }");
            let previous = 0;
            return {
                type,
                stages: (stages as unknown[]).map((s, i) => {
                    const at = `${path}.stages[${i}]`;
                    if (!isPlainObject(s)) throw new ConfigError(at, `${at} must be { untilStep, maxDifficulty }`);
                    checkKeys(s, ["untilStep", "maxDifficulty"], at);
                    if (!Number.isSafeInteger(s.untilStep) || (s.untilStep as number) <= previous) {
                        throw new ConfigError(`${at}.untilStep`, `${at}.untilStep must be an integer > ${previous} (stages in increasing order); got ${describeValue(s.untilStep)}`);
                    }
                    previous = s.untilStep as number;
                    const d = s.maxDifficulty;
                    const okLabel = typeof d === "string" && ["easy", "medium", "hard"].includes(d.toLowerCase());
                    if (!(okLabel || (typeof d === "number" && Number.isFinite(d)))) {
                        throw new ConfigError(`${at}.maxDifficulty`, `${at}.maxDifficulty must be a number or "easy" | "medium" | "hard"; got ${describeValue(d)}`);
                    }
                    return { untilStep: s.untilStep as number, maxDifficulty: (okLabel ? (d as string).toLowerCase() : d) as number };
                }),
            };
        }
        default:
            throw new ConfigError(`${path}.type`, `${path}.type must be "sorted", "linear" or "staged"; got ${describeValue(type)}`);
    }
}

const GRPO_SCHEMA: Spec = {
    kind: "object",
    fields: {
        model: str,
        outputDir: str,
        seed: int,
        data: {
            kind: "object",
            fields: { dataset: str, evalDataset: { kind: "string", nullable: true }, promptTemplate: en("r1-zero", "chat"), systemPrompt: { kind: "string", nullable: true } },
        },
        generation: {
            kind: "object",
            fields: { numGenerations: int, promptsPerStep: int, maxPromptLength: int, maxCompletionLength: int, temperature: num, topP: num, topK: int },
        },
        optimisation: {
            kind: "object",
            fields: {
                learningRate: num,
                lrSchedule: {
                    kind: "object",
                    fields: { type: en(...LR_SCHEDULE_TYPES), warmupSteps: int, warmupRatio: num, numCycles: num, minLrRate: num },
                },
                maxSteps: int,
                numIterations: int,
                beta: num,
                epsilon: num,
                epsilonHigh: { kind: "number", nullable: true },
                lossType: en("grpo", "bnpo", "dr_grpo", "dapo"),
                importanceSamplingLevel: en("token", "sequence"),
                scaleRewards: en("group", "batch", "none"),
                maskTruncatedCompletions: bool,
                maxGradNorm: num,
                weightDecay: num,
                adamBeta1: num,
                adamBeta2: num,
                adamEps: num,
                tokenBudget: int,
            },
        },
        dynamicSampling: { kind: "object", fields: { enabled: bool, maxRounds: int, shortfall: en("partial", "padZeroStd") } },
        historyResampling: { kind: "object", fields: { enabled: bool, rewardName: str, threshold: num, mode: en("permanent", "perEpoch") } },
        curriculum: {
            kind: "object",
            fields: { enabled: bool, column: str, schedule: { kind: "value", describe: "a curriculum schedule", parse: parseCurriculumSchedule } },
        },
        rewards: { kind: "value", describe: "a list of rewards", parse: parseRewards },
        rewardModules: { kind: "value", describe: "a list of module paths", parse: parseStrings },
        logging: {
            kind: "object",
            fields: {
                logEverySteps: int,
                sampleEverySteps: int,
                saveEverySteps: int,
                evalEverySteps: int,
                evalSamples: int,
                evalProblems: int,
                evalTemperature: num,
                evalTopP: num,
            },
        },
    },
};

// ---------------------------------------------------------------------------------------------
// Resolve and validate

export interface ValidateOptions {
    /** Reward names that exist (registry + user modules); when given, unknown names are errors. */
    knownRewards?: readonly string[];
}

/** The partial merged over the defaults, type-checked, derived fields filled, and validated. */
export function resolveGrpoConfig(partial: GrpoConfigInput = {}, options: ValidateOptions = {}): GrpoConfig {
    const input = partial as Record<string, unknown>;
    const config = resolveWithSpec(GRPO_SCHEMA, GRPO_SCHEMA, input, defaultGrpoConfig()) as GrpoConfig;
    // epsilonHigh unset (or null) follows epsilon, as TRL's epsilon_high=None does.
    const optim = isPlainObject(input.optimisation) ? input.optimisation : {};
    if (optim.epsilonHigh === undefined || optim.epsilonHigh === null) config.optimisation.epsilonHigh = config.optimisation.epsilon;
    validateGrpoConfig(config, options);
    return config;
}


/** Range and cross-field checks; throws a ConfigError naming the field and the fix. */
export function validateGrpoConfig(config: GrpoConfig, options: ValidateOptions = {}): void {
    nonEmpty(config.model, "model", 'a Hugging Face model folder or "builtin:<name>"');
    nonEmpty(config.outputDir, "outputDir", "the folder for checkpoints and metrics");
    if (!Number.isSafeInteger(config.seed)) fail("seed", `must be an integer; got ${String(config.seed)}`);

    const d = config.data;
    nonEmpty(d.dataset, "data.dataset", 'a dataset path or "builtin:arithmetic"');
    if (d.evalDataset !== null) nonEmpty(d.evalDataset, "data.evalDataset", "a dataset path, or null for the dataset's test split");
    if (d.systemPrompt !== null && d.promptTemplate !== "chat") {
        fail("data.systemPrompt", `applies to promptTemplate "chat" only (the "r1-zero" template has its own preamble); set data.promptTemplate: chat or remove it`);
    }

    const g = config.generation;
    intAtLeast(g.numGenerations, 2, "generation.numGenerations", " (GRPO normalises rewards within a group)");
    intAtLeast(g.promptsPerStep, 1, "generation.promptsPerStep");
    intAtLeast(g.maxPromptLength, 1, "generation.maxPromptLength");
    if (config.optimisation.lossType === "dr_grpo" && !(Number.isSafeInteger(g.maxCompletionLength) && g.maxCompletionLength >= 1)) {
        fail("generation.maxCompletionLength", `must be an integer >= 1: lossType 'dr_grpo' needs maxCompletionLength as its normaliser; got ${String(g.maxCompletionLength)}`);
    }
    intAtLeast(g.maxCompletionLength, 1, "generation.maxCompletionLength");
    if (!(Number.isFinite(g.temperature) && g.temperature > 0)) {
        fail("generation.temperature", `must be > 0 (greedy decoding gives G identical completions and zero advantages); got ${String(g.temperature)}`);
    }
    inRange(g.topP, 0, 1, "generation.topP", "(]");
    intAtLeast(g.topK, 0, "generation.topK", " (0 = off)");

    const o = config.optimisation;
    atLeast(o.learningRate, 0, "optimisation.learningRate");
    intAtLeast(o.maxSteps, 1, "optimisation.maxSteps");
    const s = o.lrSchedule;
    try {
        checkLrSchedule(s, "optimisation.lrSchedule");
    } catch (err) {
        const m = /^(optimisation\.lrSchedule[\w.]*)/.exec((err as Error).message);
        throw new ConfigError(m?.[1] ?? "optimisation.lrSchedule", (err as Error).message);
    }
    if (resolveWarmupSteps(s, o.maxSteps) > o.maxSteps) {
        fail("optimisation.lrSchedule.warmupSteps", `(${s.warmupSteps}) exceeds optimisation.maxSteps (${o.maxSteps}): the rate would never reach learningRate`);
    }
    intAtLeast(o.numIterations, 1, "optimisation.numIterations", " (μ: passes over each batch of rollouts)");
    atLeast(o.beta, 0, "optimisation.beta");
    inRange(o.epsilon, 0, 1, "optimisation.epsilon", "[)");
    atLeast(o.epsilonHigh, 0, "optimisation.epsilonHigh");
    if (o.epsilonHigh < o.epsilon) {
        fail("optimisation.epsilonHigh", `(${o.epsilonHigh}) < epsilon (${o.epsilon}): clip-higher needs epsilonHigh >= epsilon; raise epsilonHigh or leave it unset to follow epsilon`);
    }
    atLeast(o.maxGradNorm, 0, "optimisation.maxGradNorm", " (0 = no clipping)");
    atLeast(o.weightDecay, 0, "optimisation.weightDecay");
    inRange(o.adamBeta1, 0, 1, "optimisation.adamBeta1", "[)");
    inRange(o.adamBeta2, 0, 1, "optimisation.adamBeta2", "[)");
    if (!(Number.isFinite(o.adamEps) && o.adamEps > 0)) fail("optimisation.adamEps", `must be > 0; got ${String(o.adamEps)}`);
    intAtLeast(o.tokenBudget, 1, "optimisation.tokenBudget");
    const longest = g.maxPromptLength + g.maxCompletionLength;
    if (o.tokenBudget < longest) {
        fail("optimisation.tokenBudget", `(${o.tokenBudget}) must hold one whole sequence: maxPromptLength + maxCompletionLength = ${longest}; raise tokenBudget or shorten the lengths`);
    }

    intAtLeast(config.dynamicSampling.maxRounds, 1, "dynamicSampling.maxRounds");

    const rewards = config.rewards;
    if (rewards.length === 0) fail("rewards", "must name at least one reward (e.g. [{ name: accuracy }])");
    const seen = new Set<string>();
    for (const [i, r] of rewards.entries()) {
        if (seen.has(r.name)) fail(`rewards[${i}].name`, `"${r.name}" appears twice; give each reward once (weights add up otherwise unnoticed)`);
        seen.add(r.name);
        if (options.knownRewards !== undefined && !options.knownRewards.includes(r.name)) {
            fail(`rewards[${i}].name`, `"${r.name}" is not a known reward (known: ${options.knownRewards.join(", ")}); add its module to rewardModules`);
        }
    }
    if (rewards.every((r) => r.weight === 0)) fail("rewards", "all weights are 0: every advantage would be 0");

    const h = config.historyResampling;
    if (!Number.isFinite(h.threshold)) fail("historyResampling.threshold", `must be a finite number; got ${String(h.threshold)}`);
    if (h.enabled && !seen.has(h.rewardName)) {
        fail("historyResampling.rewardName", `"${h.rewardName}" is not one of the rewards (${[...seen].join(", ")}); name the reward that says whether a rollout is correct`);
    }
    nonEmpty(config.curriculum.column, "curriculum.column", "the difficulty column");

    const l = config.logging;
    intAtLeast(l.logEverySteps, 1, "logging.logEverySteps");
    intAtLeast(l.sampleEverySteps, 0, "logging.sampleEverySteps", " (0 = never)");
    intAtLeast(l.saveEverySteps, 0, "logging.saveEverySteps", " (0 = only at the end)");
    intAtLeast(l.evalEverySteps, 0, "logging.evalEverySteps", " (0 = never)");
    intAtLeast(l.evalSamples, 1, "logging.evalSamples");
    intAtLeast(l.evalProblems, 1, "logging.evalProblems");
    atLeast(l.evalTemperature, 0, "logging.evalTemperature", " (0 = greedy)");
    inRange(l.evalTopP, 0, 1, "logging.evalTopP", "(]");
}

// ---------------------------------------------------------------------------------------------
// Files and flags

interface YamlModule {
    parse(source: string): unknown;
}

/** The `yaml` package, imported only when a YAML file is read. */
async function importYaml(file: string): Promise<YamlModule> {
    const specifier = "yaml"; // a variable, so the type checker does not require the package
    try {
        const mod = (await import(specifier)) as YamlModule & { default?: YamlModule };
        return typeof mod.parse === "function" ? mod : mod.default!;
    } catch (err) {
        if ((err as { code?: string }).code === "ERR_MODULE_NOT_FOUND") {
            throw new ConfigError("", `${file}: reading YAML needs the "yaml" package (npm install yaml); or write the config as JSON`);
        }
        throw err;
    }
}

/** A config file (.json, .yaml or .yml) as a partial config; resolveGrpoConfig checks it. */
export async function loadGrpoConfigFile(file: string): Promise<GrpoConfigInput> {
    const text = await readFile(file, "utf8");
    const ext = extname(file).toLowerCase();
    let data: unknown;
    try {
        if (ext === ".yaml" || ext === ".yml") data = (await importYaml(file)).parse(text);
        else data = JSON.parse(text);
    } catch (err) {
        if (err instanceof ConfigError) throw err;
        throw new ConfigError("", `${file}: not valid ${ext === ".json" || ext === "" ? "JSON" : ext.slice(1).toUpperCase()}: ${(err as Error).message}`);
    }
    if (data === null || data === undefined) return {};
    if (!isPlainObject(data)) throw new ConfigError("", `${file}: the config must be a mapping of keys; got ${describeValue(data)}`);
    return data as GrpoConfigInput;
}

/**
 * `partial` with command-line overrides applied: "generation.temperature=0.7" strings or a
 * { "dotted.key": value } object. String values are typed by the field they set; unknown keys
 * are errors naming the closest known key. Returns a new object.
 */
export function applyOverrides(partial: GrpoConfigInput, flags: readonly string[] | Readonly<Record<string, unknown>>): GrpoConfigInput {
    return applyDottedOverrides(GRPO_SCHEMA, defaultGrpoConfig(), partial as Record<string, unknown>, flags, "generation.temperature=0.7") as GrpoConfigInput;
}
