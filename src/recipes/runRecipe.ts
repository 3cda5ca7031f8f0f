/**
 * Runs a recipe's stages in order, each starting from the previous stage's model (or the one it
 * names), each in its own folder `<outputDir>/<NN>-<name>/`:
 *
 *   plan.json      the resolved stage (trainer config, model, data) and its hash, written first
 *   data.jsonl     the stage's data sources, concatenated (stageData.ts)
 *   ...            what the trainer writes (metrics.jsonl, checkpoints, the model, dataset.jsonl)
 *   stage.json     written atomically when the stage has finished: { model, dataset, heldout, summary }
 *
 * Resumable at stage granularity: a rerun skips every stage with a stage.json whose plan hash
 * still matches (and refuses one whose config changed since, naming it); a stage that was
 * interrupted resumes from its own checkpoint (GRPO and SFT) or its own ledger (distill), and
 * otherwise starts over. `fromStage` reruns a stage and everything after it from scratch.
 *
 * With `evaluation` in the recipe, the base model and every stage's new model are evaluated on
 * the same held-out problems; recipe_summary.json (rewritten after each stage) records each
 * stage's held-out accuracy before and after, its model, dataset, time and trainer summary.
 * `smoke` caps every stage to a few steps on a few rows (stagePlan.ts) for end-to-end checks.
 */
import fs from "node:fs";
import path from "node:path";
import type { EvalResult } from "../eval/evaluateMath.js";
import { writeJsonAtomic } from "../model/atomicWrite.js";
import { latestCheckpoint } from "../train/checkpoint.js";
import { evaluateRecipeModel } from "./recipeEvaluation.js";
import { applyRecipeOverrides, ConfigError, loadRecipeFile, parseRecipe, type Recipe, type RecipeEvaluation, type StageTrainer } from "./schema.js";
import { materialiseData } from "./stageData.js";
import { evaluationKey, planEvaluation, planStage, resolveSmoke, type SmokeSettings, stageFolderName, type StagePlan } from "./stagePlan.js";
import { keepsPartialWork, runStage } from "./stageRunners.js";

export interface RunRecipeOptions {
    /** Replaces the recipe's outputDir. */
    outputDir?: string;
    /** Rerun this stage and every later one from scratch (their folders are removed first). */
    fromStage?: string;
    /** Stop after this stage. */
    untilStage?: string;
    /** Cap every stage for a quick end-to-end run: true for SMOKE_DEFAULTS, or some of its fields. */
    smoke?: boolean | Partial<SmokeSettings>;
    /** Stops the running stage after its current step (it checkpoints); no later stage starts. */
    signal?: AbortSignal;
    /** Progress messages. Defaults to console.error. */
    log?: (message: string) => void;
    onEvent?: (event: RecipeEvent) => void;
}

interface StageRef {
    index: number;
    total: number;
    name: string;
    trainer: StageTrainer;
}

export type RecipeEvent =
    | (StageRef & { type: "stage-start"; inputModel: string; resumed: boolean })
    | (StageRef & { type: "stage-skip"; reason: string })
    | (StageRef & { type: "stage-step"; step: number; steps: number; fields: Record<string, string | number> })
    | (StageRef & { type: "stage-done"; seconds: number; model: string; dataset: string | null; heldoutBefore: number | null; heldoutAfter: number | null })
    | (StageRef & { type: "stage-stopped" });

/** stage.json: a finished stage. */
export interface StageRecord {
    version: 1;
    name: string;
    trainer: StageTrainer;
    /** The plan hash the stage ran with. */
    hash: string;
    inputModel: string;
    model: string;
    dataset: string | null;
    /** The recipe evaluation of the input and output model; null without one. */
    heldout: { before: EvalResult; after: EvalResult } | null;
    summary: Record<string, unknown>;
    seconds: number;
    finishedAt: string;
}

export interface RecipeStageSummary {
    name: string;
    trainer: StageTrainer;
    dir: string;
    /** "ran" this time, "skipped" (finished earlier), "stopped" (interrupted), or "not-run". */
    status: "ran" | "skipped" | "stopped" | "not-run";
    inputModel: string | null;
    model: string | null;
    dataset: string | null;
    seconds: number | null;
    /** pass@1 on the recipe's evaluation, else the GRPO stage's own held-out numbers; null when neither. */
    heldoutAccuracyBefore: number | null;
    heldoutAccuracyAfter: number | null;
    summary: Record<string, unknown> | null;
}

export interface RecipeSummary {
    recipe: string;
    outputDir: string;
    smoke: SmokeSettings | null;
    evaluation: RecipeEvaluation | null;
    baseModel: string | null;
    /** The recipe evaluation of the first stage's input model. */
    heldoutAccuracyBase: number | null;
    stages: RecipeStageSummary[];
    /** The last finished stage's model. */
    finalModel: string | null;
    /** Every stage (up to untilStage) finished. */
    completed: boolean;
    seconds: number;
    finishedAt: string;
}

function readJson<T>(file: string): T | null {
    if (!fs.existsSync(file)) return null;
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
}

function stageIndex(recipe: Recipe, name: string | undefined, option: string): number | null {
    if (name === undefined) return null;
    const i = recipe.stages.findIndex((s) => s.name === name);
    if (i < 0) throw new ConfigError(option, `${option} "${name}" is not a stage of recipe "${recipe.name}" (stages: ${recipe.stages.map((s) => s.name).join(", ")})`);
    return i;
}

/** The model a stage starts from: its own `model` (resolving "@base" / "@<stage>"), else the previous stage's output. */
function inputModelOf(recipe: Recipe, index: number, previous: string | null, outputs: ReadonlyMap<string, string>): string {
    const model = recipe.stages[index]!.model;
    if (model === null) return previous!;
    if (model === "@base") return recipe.model!;
    if (model.startsWith("@")) return outputs.get(model.slice(1))!;
    return model;
}

/** GRPO's own before/after when the recipe has no evaluation. */
function grpoHeldout(summary: Record<string, unknown>): [number | null, number | null] {
    const before = summary.heldoutAccuracyBefore;
    const after = summary.heldoutAccuracyAfter;
    return [typeof before === "number" ? before : null, typeof after === "number" ? after : null];
}

export async function runRecipe(recipe: Recipe, options: RunRecipeOptions = {}): Promise<RecipeSummary> {
    const started = Date.now();
    const log = options.log ?? ((m: string) => console.error(m));
    const outputDir = options.outputDir ?? recipe.outputDir;
    const smoke = resolveSmoke(options.smoke);
    const evaluation = planEvaluation(recipe.evaluation, smoke);
    const fromIndex = stageIndex(recipe, options.fromStage, "fromStage");
    const untilIndex = stageIndex(recipe, options.untilStage, "untilStage") ?? recipe.stages.length - 1;
    if (fromIndex !== null && fromIndex > untilIndex) throw new ConfigError("fromStage", `fromStage "${options.fromStage}" comes after untilStage "${options.untilStage}"`);
    const total = recipe.stages.length;
    fs.mkdirSync(outputDir, { recursive: true });
    await writeJsonAtomic(path.join(outputDir, "recipe.json"), { recipe, smoke });

    const stages: RecipeStageSummary[] = recipe.stages.map((s, i) => ({
        name: s.name, trainer: s.trainer, dir: path.join(outputDir, stageFolderName(i, s.name)), status: "not-run", inputModel: null, model: null, dataset: null,
        seconds: null, heldoutAccuracyBefore: null, heldoutAccuracyAfter: null, summary: null,
    }));
    if (fromIndex !== null) {
        for (let i = fromIndex; i < total; i++) {
            const dir = stages[i]!.dir;
            if (fs.existsSync(dir)) {
                log(`--from-stage ${options.fromStage}: removing ${dir}`);
                fs.rmSync(dir, { recursive: true, force: true });
            }
        }
    }

    const evals = new Map<string, EvalResult>();
    const outputs = new Map<string, string>();
    const datasets = new Map<string, string>();
    let previous: string | null = recipe.model;
    let baseAccuracy: number | null = null;
    let completed = false;
    const summaryFile = path.join(outputDir, "recipe_summary.json");
    const writeSummary = async (): Promise<RecipeSummary> => {
        const summary: RecipeSummary = {
            recipe: recipe.name, outputDir, smoke, evaluation, baseModel: recipe.model, heldoutAccuracyBase: baseAccuracy, stages,
            finalModel: [...stages].reverse().find((s) => s.status === "ran" || s.status === "skipped")?.model ?? null,
            completed, seconds: (Date.now() - started) / 1000, finishedAt: new Date().toISOString(),
        };
        await writeJsonAtomic(summaryFile, summary);
        return summary;
    };
    const evaluate = async (model: string, what: string): Promise<EvalResult> => {
        const known = evals.get(model);
        if (known) return known;
        const result = await cachedEvaluation(outputDir, model, evaluation!, recipe.seed, log, what);
        evals.set(model, result);
        return result;
    };

    for (let i = 0; i <= untilIndex; i++) {
        const stage = recipe.stages[i]!;
        const ref: StageRef = { index: i, total, name: stage.name, trainer: stage.trainer };
        const at = `stage "${stage.name}"`;
        const inputModel = inputModelOf(recipe, i, previous, outputs);
        let plan: StagePlan;
        try {
            plan = planStage(recipe, i, outputDir, inputModel, smoke);
        } catch (err) {
            if (err instanceof ConfigError) throw new ConfigError(`stages[${i}] (${stage.name}).config.${err.field}`, `stages[${i}] (${stage.name}).config: ${err.message}`);
            throw err;
        }
        const entry = stages[i]!;
        entry.inputModel = inputModel;

        const record = readJson<StageRecord>(path.join(plan.dir, "stage.json"));
        if (record !== null) {
            if (record.hash !== plan.hash) {
                throw new Error(
                    `${at} finished earlier with other settings (plan ${record.hash}, now ${plan.hash}: its config, data, model or smoke caps changed); ` +
                        `rerun it and the stages after it with --from-stage ${stage.name}, or restore the recipe`,
                );
            }
            if (!record.model.startsWith("builtin:") && !fs.existsSync(record.model)) {
                throw new Error(`${at} finished earlier, but its model ${record.model} is missing; rerun it with --from-stage ${stage.name}`);
            }
            if (record.heldout !== null) {
                evals.set(record.inputModel, record.heldout.before);
                evals.set(record.model, record.heldout.after);
            }
            Object.assign(entry, fromRecord(record));
            entry.status = "skipped";
            if (i === 0 && record.heldout !== null) baseAccuracy = record.heldout.before.passAt1;
            outputs.set(stage.name, record.model);
            if (record.dataset !== null) datasets.set(stage.name, record.dataset);
            previous = record.model;
            log(`[${i + 1}/${total}] ${stage.name} (${stage.trainer}): skipped, finished earlier (${path.join(plan.dir, "stage.json")})`);
            options.onEvent?.({ ...ref, type: "stage-skip", reason: "finished earlier (stage.json)" });
            await writeSummary();
            continue;
        }
        if (options.signal?.aborted) break;

        // Fresh, or interrupted: resume only what was started with the same plan.
        const planFile = path.join(plan.dir, "plan.json");
        const startedPlan = readJson<{ hash: string }>(planFile);
        if (startedPlan !== null && startedPlan.hash !== plan.hash) {
            throw new Error(
                `${at} was started with other settings (plan ${startedPlan.hash}, now ${plan.hash}) and did not finish; ` +
                    `start it over with --from-stage ${stage.name}, or restore the recipe`,
            );
        }
        const checkpoint = latestCheckpoint(plan.dir) !== null;
        const resume = startedPlan !== null && (checkpoint || keepsPartialWork(plan.trainer));
        if (!resume) fs.rmSync(plan.dir, { recursive: true, force: true });
        fs.mkdirSync(plan.dir, { recursive: true });
        await writeJsonAtomic(planFile, { hash: plan.hash, trainer: plan.trainer, inputModel, data: plan.data, maxRowsPerSource: plan.maxRowsPerSource, config: plan.config });
        log(`[${i + 1}/${total}] ${stage.name} (${stage.trainer}) from ${inputModel}${resume ? ", resuming" : ""} → ${plan.dir}`);
        options.onEvent?.({ ...ref, type: "stage-start", inputModel, resumed: resume });
        const stageStarted = Date.now();

        if (plan.data !== null) {
            const written = await materialiseData(plan.data, plan.dataFile!, {
                seed: plan.dataSeed, stageDatasets: datasets, maxRowsPerSource: plan.maxRowsPerSource, where: `${at} data`, log,
            });
            log(`  data: ${written.rows} rows (${written.sources.map((s) => `${s.rows} from ${s.source}`).join(", ")})`);
        }
        const before = evaluation !== null ? await evaluate(inputModel, i === 0 ? "base model" : `input of ${stage.name}`) : null;
        if (i === 0 && before !== null) baseAccuracy = before.passAt1;
        const outcome = await runStage(plan, {
            resume,
            signal: options.signal,
            log: (m) => log(`  ${m}`),
            onStep: (step, steps, fields) => options.onEvent?.({ ...ref, type: "stage-step", step, steps, fields }),
        });
        const seconds = (Date.now() - stageStarted) / 1000;
        if (outcome.stopped) {
            entry.status = "stopped";
            entry.summary = outcome.summary;
            log(`[${i + 1}/${total}] ${stage.name}: stopped; rerun the recipe to resume it`);
            options.onEvent?.({ ...ref, type: "stage-stopped" });
            return writeSummary();
        }
        let after: EvalResult | null = null;
        if (evaluation !== null && before !== null) {
            evals.delete(outcome.model); // a retrained stage writes to the same folder: never reuse an old result
            after = outcome.model === inputModel ? before : await evaluate(outcome.model, `output of ${stage.name}`);
        }
        const done: StageRecord = {
            version: 1, name: stage.name, trainer: stage.trainer, hash: plan.hash, inputModel, model: outcome.model, dataset: outcome.dataset,
            heldout: before !== null && after !== null ? { before, after } : null, summary: outcome.summary, seconds, finishedAt: new Date().toISOString(),
        };
        await writeJsonAtomic(path.join(plan.dir, "stage.json"), done);
        Object.assign(entry, fromRecord(done));
        entry.status = "ran";
        outputs.set(stage.name, outcome.model);
        if (outcome.dataset !== null) datasets.set(stage.name, outcome.dataset);
        previous = outcome.model;
        const pct = (x: number | null): string => (x === null ? "n/a" : `${(100 * x).toFixed(1)}%`);
        log(
            `[${i + 1}/${total}] ${stage.name} (${stage.trainer}) done in ${seconds.toFixed(1)} s → ${outcome.model}` +
                (outcome.dataset !== null && outcome.dataset !== plan.dataFile ? `, dataset ${outcome.dataset}` : "") +
                (entry.heldoutAccuracyBefore !== null || entry.heldoutAccuracyAfter !== null
                    ? ` · held-out ${pct(entry.heldoutAccuracyBefore)} → ${pct(entry.heldoutAccuracyAfter)}`
                    : ""),
        );
        options.onEvent?.({
            ...ref, type: "stage-done", seconds, model: outcome.model, dataset: outcome.dataset,
            heldoutBefore: entry.heldoutAccuracyBefore, heldoutAfter: entry.heldoutAccuracyAfter,
        });
        await writeSummary();
    }
    completed = stages.slice(0, untilIndex + 1).every((s) => s.status === "ran" || s.status === "skipped");
    return writeSummary();
}

function fromRecord(record: StageRecord): Partial<RecipeStageSummary> {
    const [grpoBefore, grpoAfter] = record.trainer === "grpo" ? grpoHeldout(record.summary) : [null, null];
    return {
        inputModel: record.inputModel,
        model: record.model,
        dataset: record.dataset,
        seconds: record.seconds,
        heldoutAccuracyBefore: record.heldout?.before.passAt1 ?? grpoBefore,
        heldoutAccuracyAfter: record.heldout?.after.passAt1 ?? grpoAfter,
        summary: record.summary,
    };
}

/**
 * The evaluation of a model no stage of this run produced (the base model, a folder a stage
 * names), cached in `<outputDir>/evaluations.json` by model, settings and seed. Stage outputs
 * are never cached here: their folder is rewritten when the stage reruns.
 */
async function cachedEvaluation(outputDir: string, model: string, evaluation: RecipeEvaluation, seed: number, log: (m: string) => void, what: string): Promise<EvalResult> {
    const file = path.join(outputDir, "evaluations.json");
    const external = !path.resolve(model).startsWith(path.resolve(outputDir) + path.sep);
    const key = evaluationKey(model, evaluation, seed);
    const cache = (external ? readJson<Record<string, { model: string; result: EvalResult }>>(file) : null) ?? {};
    const hit = cache[key];
    if (hit) return hit.result;
    const t0 = Date.now();
    const result = await evaluateRecipeModel(model, evaluation, seed);
    log(`  held-out accuracy of the ${what}: ${(100 * result.passAt1).toFixed(1)}% (${result.problems} problems × ${result.k}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    if (external) await writeJsonAtomic(file, { ...cache, [key]: { model, result } });
    return result;
}

/** Reads a recipe file, applies "key=value" overrides, parses it and runs it. */
export async function runRecipeFile(file: string, options: RunRecipeOptions & { set?: readonly string[] } = {}): Promise<RecipeSummary> {
    let raw = await loadRecipeFile(file);
    if (options.set && options.set.length > 0) raw = applyRecipeOverrides(raw, options.set);
    let recipe: Recipe;
    try {
        recipe = parseRecipe(raw);
    } catch (err) {
        if (err instanceof ConfigError) throw new ConfigError(err.field, `${file}: ${err.message}`);
        throw err;
    }
    return runRecipe(recipe, options);
}
