/**
 * A stage's plan: its trainer config resolved against the model and folder the recipe gives it,
 * with the smoke caps applied, and a hash of all of it. The hash is what "the same stage" means
 * on a rerun: a finished stage is skipped only when its plan hash still matches, and an
 * interrupted one resumes only then, so editing a finished stage's config is never silently
 * ignored.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { type GrpoConfig, type GrpoConfigInput, resolveGrpoConfig, validateGrpoConfig } from "../train/grpo/config.js";
import { isPlainObject } from "../train/grpo/configSchema.js";
import { resolveSftConfig, type SftConfig, type SftConfigInput, validateSftConfig } from "../train/sft/config.js";
import {
    type DataSource,
    type DistillStageConfig,
    type Recipe,
    type RecipeEvaluation,
    type RecipeStage,
    type RejectionStageConfig,
    resolveDistillStageConfig,
    resolveRejectionStageConfig,
    type StageTrainer,
} from "./schema.js";

/**
 * Caps for a smoke run (every stage a few steps on a few rows): each setting bounds the stage's
 * own value, never raises it.
 */
export interface SmokeSettings {
    /** Optimizer steps per training stage. Defaults to `2`. */
    maxSteps: number;
    /** GRPO prompts per step. Defaults to `4`. */
    promptsPerStep: number;
    /** GRPO completions per prompt (G). Defaults to `4`. */
    numGenerations: number;
    /** Rows per data source of a training stage. Defaults to `64`. */
    maxRows: number;
    /** Prompts per data source of a rejection-sampling or distillation stage. Defaults to `16`. */
    maxPrompts: number;
    /** Samples per prompt (rejection sampling k, distillation traces). Defaults to `4`. */
    samplesPerPrompt: number;
    /** Held-out problems of the recipe's and GRPO's evaluations. Defaults to `64`. */
    evalProblems: number;
    /** Samples per held-out problem. Defaults to `1`. */
    evalSamples: number;
}

export const SMOKE_DEFAULTS: Readonly<SmokeSettings> = Object.freeze({
    maxSteps: 2,
    promptsPerStep: 4,
    numGenerations: 4,
    maxRows: 64,
    maxPrompts: 16,
    samplesPerPrompt: 4,
    evalProblems: 64,
    evalSamples: 1,
});

/** `true` → the defaults; an object → the defaults with its fields; false/undefined → null (no caps). */
export function resolveSmoke(smoke: boolean | Partial<SmokeSettings> | undefined): SmokeSettings | null {
    if (smoke === undefined || smoke === false) return null;
    const out: SmokeSettings = { ...SMOKE_DEFAULTS, ...(smoke === true ? {} : smoke) };
    for (const [key, value] of Object.entries(out)) {
        if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`smoke.${key} must be an integer >= 1; got ${String(value)}`);
    }
    if (out.numGenerations < 2) throw new RangeError("smoke.numGenerations must be >= 2 (GRPO normalises within a group)");
    return out;
}

export type StageConfig = GrpoConfig | SftConfig | RejectionStageConfig | DistillStageConfig;

export interface StagePlan {
    index: number;
    name: string;
    trainer: StageTrainer;
    /** `<outputDir>/<NN>-<name>`. */
    dir: string;
    /** The model the stage starts from: a folder or "builtin:<name>". */
    inputModel: string;
    /** The stage's data sources; null = none (a GRPO stage then uses its config's data.dataset). */
    data: DataSource[] | null;
    /** Where the sources are written; null when there are none. */
    dataFile: string | null;
    /** Rows per source at most (smoke); null = as the sources say. */
    maxRowsPerSource: number | null;
    /** Seed of the stage's data generators. */
    dataSeed: number;
    config: StageConfig;
    /** sha256 (16 hex digits) of everything above that shapes the stage's result. */
    hash: string;
}

export function stageFolderName(index: number, name: string): string {
    return `${String(index + 1).padStart(2, "0")}-${name}`;
}

function hashOf(value: unknown): string {
    return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16);
}

function grpoPlanConfig(recipe: Recipe, stage: RecipeStage, inputModel: string, dir: string, dataFile: string | null, smoke: SmokeSettings | null): GrpoConfig {
    const raw = stage.config as GrpoConfigInput;
    const data = isPlainObject(raw.data) ? raw.data : {};
    const config = resolveGrpoConfig({
        ...raw,
        model: inputModel,
        outputDir: dir,
        seed: raw.seed ?? recipe.seed,
        data: { ...data, ...(dataFile !== null ? { dataset: dataFile } : {}) },
    });
    if (smoke !== null) {
        const o = config.optimisation;
        o.maxSteps = Math.min(o.maxSteps, smoke.maxSteps);
        o.lrSchedule.warmupSteps = Math.min(o.lrSchedule.warmupSteps, o.maxSteps);
        config.generation.promptsPerStep = Math.min(config.generation.promptsPerStep, smoke.promptsPerStep);
        config.generation.numGenerations = Math.min(config.generation.numGenerations, smoke.numGenerations);
        config.dynamicSampling.maxRounds = Math.min(config.dynamicSampling.maxRounds, 2);
        config.logging.evalProblems = Math.min(config.logging.evalProblems, smoke.evalProblems);
        config.logging.evalSamples = Math.min(config.logging.evalSamples, smoke.evalSamples);
        // A checkpoint at the last step, so a rerun of the stage exercises the resume path.
        config.logging.saveEverySteps = o.maxSteps;
        validateGrpoConfig(config);
    }
    return config;
}

function sftPlanConfig(recipe: Recipe, stage: RecipeStage, inputModel: string, dir: string, dataFile: string | null, smoke: SmokeSettings | null): SftConfig {
    const raw = stage.config as SftConfigInput;
    const data = isPlainObject(raw.data) ? raw.data : {};
    const config = resolveSftConfig({
        // Intermediate models feed more training: keep them f32 unless the stage says otherwise.
        saveDtype: "f32",
        ...raw,
        model: inputModel,
        outputDir: dir,
        seed: raw.seed ?? recipe.seed,
        data: { ...data, ...(dataFile !== null ? { path: dataFile } : {}) },
    });
    if (smoke !== null) {
        const t = config.training;
        t.maxSteps = t.maxSteps === -1 ? smoke.maxSteps : Math.min(t.maxSteps, smoke.maxSteps);
        config.optimisation.lrSchedule.warmupSteps = Math.min(config.optimisation.lrSchedule.warmupSteps, t.maxSteps);
        validateSftConfig(config);
    }
    return config;
}

/** The plan of `recipe.stages[index]` starting from `inputModel`, in `outputDir`. */
export function planStage(recipe: Recipe, index: number, outputDir: string, inputModel: string, smoke: SmokeSettings | null): StagePlan {
    const stage = recipe.stages[index]!;
    const dir = path.join(outputDir, stageFolderName(index, stage.name));
    const dataFile = stage.data !== null ? path.join(dir, "data.jsonl") : null;
    const sampling = stage.trainer === "rejection_sampling" || stage.trainer === "distill";
    const maxRowsPerSource = smoke === null ? null : sampling ? smoke.maxPrompts : smoke.maxRows;
    let config: StageConfig;
    switch (stage.trainer) {
        case "grpo":
            config = grpoPlanConfig(recipe, stage, inputModel, dir, dataFile, smoke);
            break;
        case "sft":
            config = sftPlanConfig(recipe, stage, inputModel, dir, dataFile, smoke);
            break;
        case "rejection_sampling": {
            const c = resolveRejectionStageConfig(stage.config);
            c.seed ??= recipe.seed;
            if (smoke !== null) c.k = Math.min(c.k, smoke.samplesPerPrompt);
            config = c;
            break;
        }
        case "distill": {
            const c = resolveDistillStageConfig(stage.config);
            if (smoke !== null) c.samplesPerPrompt = Math.min(c.samplesPerPrompt, smoke.samplesPerPrompt);
            config = c;
            break;
        }
    }
    const dataSeed = recipe.seed + 1000 * (index + 1);
    const hashed = { trainer: stage.trainer, inputModel, data: stage.data, maxRowsPerSource, dataSeed, config };
    return { index, name: stage.name, trainer: stage.trainer, dir, inputModel, data: stage.data, dataFile, maxRowsPerSource, dataSeed, config, hash: hashOf(hashed) };
}

/** The recipe's evaluation with the smoke caps. */
export function planEvaluation(evaluation: RecipeEvaluation | null, smoke: SmokeSettings | null): RecipeEvaluation | null {
    if (evaluation === null || smoke === null) return evaluation;
    return { ...evaluation, problems: Math.min(evaluation.problems, smoke.evalProblems), samples: Math.min(evaluation.samples, smoke.evalSamples) };
}

/** A short stable key of a model + evaluation pair (caches the base model's result). */
export function evaluationKey(model: string, evaluation: RecipeEvaluation, seed: number): string {
    return hashOf({ model, evaluation, seed });
}
