/**
 * A GRPO run from a resolved config: model, data, prompts, rewards and the
 * reference model are set up here, the trainer runs, and summary.json records
 * held-out accuracy before and after (when an eval set is configured).
 * Shared by `r1-native train` and the programmatic API.
 */
import fs from "node:fs";
import path from "node:path";
import { arithmeticProblems } from "../../data/builtin/arithmetic.js";
import { readJsonlRows } from "../../data/jsonl.js";
import { renderPrompt } from "../../data/promptTemplates.js";
import { packageRoot } from "../../engine/loadAddon.js";
import { type EvalItem, type EvalResult, evaluateMath } from "../../eval/evaluateMath.js";
import { Policy } from "../../model/policy.js";
import { createReward, loadUserRewards, registerReward, rewardNames } from "../../rewards/registry.js";
import type { NamedReward, Sample } from "../../rewards/types.js";
import { type GrpoConfig, validateGrpoConfig } from "./config.js";
import { GrpoTrainer, type StepMetrics } from "./trainer.js";

/** The model that ships with the package for the default run. */
export const BUILTIN_DEMO_MODEL = "builtin:r1-zero-demo";

export interface RunGrpoOptions {
    /** Continue from the run directory's latest checkpoint. Defaults to `false`. */
    resume?: boolean;
    onStep?: (metrics: StepMetrics) => void;
    /** Progress messages. Defaults to console.log. */
    log?: (message: string) => void;
    /** Stop after the current step (e.g. wired to SIGINT); checked once per step. */
    signal?: AbortSignal;
}

export interface GrpoRunSummary {
    steps: number;
    stopped: boolean;
    seconds: number;
    heldoutAccuracyBefore: number | null;
    heldoutAccuracyAfter: number | null;
    evaluation: { before: EvalResult | null; after: EvalResult | null; temperature: number; k: number };
    finalRewards: Record<string, number>;
    finalModel: string;
}

export function resolveModelPath(model: string): string {
    return model === BUILTIN_DEMO_MODEL ? path.join(packageRoot, "models", "r1-zero-demo") : model;
}

/** Rows of a dataset spec: `builtin:arithmetic[-heldout]` or a JSONL file. */
export async function loadRows(spec: string, split: "train" | "heldout", count: number, seed: number): Promise<Sample[]> {
    if (spec === "builtin:arithmetic") {
        return arithmeticProblems({ count, seed, split }).map((p) => ({ question: p.question, answer: String(p.answer) }));
    }
    return readJsonlRows(spec);
}

function questionOf(row: Sample, index: number): string {
    const q = row.prompt ?? row.problem ?? row.question;
    if (typeof q !== "string") throw new Error(`dataset row ${index + 1}: no string "prompt", "problem" or "question" column`);
    return q;
}

function promptRenderer(config: GrpoConfig, policy: Policy): (row: Sample) => string {
    return (row) => renderPrompt(config.data.promptTemplate, questionOf(row, 0), policy.tokenizer, config.data.systemPrompt);
}

async function buildRewards(config: GrpoConfig): Promise<NamedReward[]> {
    for (const module of config.rewardModules) {
        for (const [name, factory] of Object.entries(await loadUserRewards(module))) {
            if (!rewardNames().includes(name)) registerReward(name, factory);
        }
    }
    validateGrpoConfig(config, { knownRewards: rewardNames() });
    const context = { maxCompletionLength: config.generation.maxCompletionLength };
    return config.rewards.map((spec) => ({ name: spec.name, weight: spec.weight, fn: createReward(spec.name, spec.options, context) }));
}

export async function runGrpo(config: GrpoConfig, options: RunGrpoOptions = {}): Promise<GrpoRunSummary> {
    const log = options.log ?? ((m: string) => console.log(m));
    const started = Date.now();
    const runDir = config.outputDir;
    fs.mkdirSync(runDir, { recursive: true });
    fs.writeFileSync(path.join(runDir, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
    const rewards = await buildRewards(config);

    const modelDir = resolveModelPath(config.model);
    const initial = await Policy.fromPretrained(modelDir);
    const dataset = await loadRows(config.data.dataset, "train", 4000, config.seed);
    const evalRows = config.data.evalDataset ? await loadRows(config.data.evalDataset, "heldout", config.logging.evalProblems, config.seed) : null;
    const render = promptRenderer(config, initial);
    const evalItems: EvalItem[] | null = evalRows?.map((row) => ({ prompt: render(row), gold: String(row.answer ?? row.solution ?? "") })) ?? null;
    const evalOptions = {
        k: config.logging.evalSamples,
        temperature: config.logging.evalTemperature,
        topP: config.logging.evalTopP,
        maxNewTokens: config.generation.maxCompletionLength,
        seed: config.seed,
    };

    const trainer = new GrpoTrainer({
        policy: initial,
        reference: config.optimisation.beta > 0 ? initial.frozenCopy() : null,
        rewards,
        config,
        dataset,
        promptOf: render,
        runDir,
        onStep: options.onStep,
    });
    const resumedAt = options.resume ? await trainer.resume() : 0;
    if (resumedAt > 0) log(`resumed from step ${resumedAt}`);
    options.signal?.addEventListener("abort", () => trainer.requestStop(), { once: true });

    const before = evalItems && resumedAt === 0 ? await evaluateMath(initial, evalItems, evalOptions) : null;
    if (before) log(`held-out accuracy before RL: ${(100 * before.passAt1).toFixed(1)}% (${before.problems} problems)`);
    const result = await trainer.train();
    const after = evalItems ? await evaluateMath(trainer.policy, evalItems, evalOptions) : null;
    if (after) log(`held-out accuracy after RL:  ${(100 * after.passAt1).toFixed(1)}%`);

    const finalModel = path.join(runDir, "final");
    await trainer.policy.save(finalModel, { dtype: "f32", overwrite: true });
    const lastLines = fs.readFileSync(trainer.metricsPath, "utf8").trim().split("\n").slice(-10).map((l) => JSON.parse(l) as StepMetrics);
    const finalRewards: Record<string, number> = {};
    for (const r of rewards) {
        const values = lastLines.map((m) => m.rewards[r.name]?.mean).filter((v): v is number => typeof v === "number");
        finalRewards[r.name] = values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1);
    }
    const previous = resumedAt > 0 && fs.existsSync(path.join(runDir, "summary.json"))
        ? (JSON.parse(fs.readFileSync(path.join(runDir, "summary.json"), "utf8")) as GrpoRunSummary)
        : null;
    const summary: GrpoRunSummary = {
        steps: result.steps,
        stopped: result.stopped,
        seconds: (Date.now() - started) / 1000,
        heldoutAccuracyBefore: before?.passAt1 ?? previous?.heldoutAccuracyBefore ?? null,
        heldoutAccuracyAfter: after?.passAt1 ?? null,
        evaluation: { before: before ?? previous?.evaluation.before ?? null, after, temperature: evalOptions.temperature, k: evalOptions.k },
        finalRewards,
        finalModel,
    };
    fs.writeFileSync(path.join(runDir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
}
