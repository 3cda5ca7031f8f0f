/**
 * One function per stage trainer: given a plan (stagePlan.ts) whose data is already written,
 * run the trainer in the stage folder and say what came out: the model the next stage starts
 * from, the dataset a later stage may reference as "@<stage>", and the trainer's summary.
 *
 * - grpo: runGrpo; the output model is `<dir>/final`. Resumes from the stage's latest checkpoint.
 * - sft: createSftTrainer + train; the output model is `<dir>/model`. Resumes likewise.
 * - rejection_sampling: k samples per prompt from the input model, verified ones kept, written to
 *   `<dir>/dataset.jsonl` (prompt, completion, the source columns); the model passes through.
 * - distill: traces from the OpenAI-compatible teacher (src/distill), appended to
 *   `<dir>/traces.jsonl` and resumable prompt by prompt; the kept ones are written as
 *   `<dir>/dataset.jsonl` (prompt, completion, answer, teacher); the model passes through.
 */
import fs from "node:fs";
import path from "node:path";
import { readJsonlRows } from "../data/jsonl.js";
import { renderPrompt } from "../data/promptTemplates.js";
import type { DatasetRow } from "../data/readers/dataReport.js";
import { DataReport } from "../data/readers/index.js";
import { distill } from "../distill/index.js";
import { Policy } from "../model/policy.js";
import { SandboxUnavailableError } from "../sandbox/isolation.js";
import { Sandbox } from "../sandbox/sandbox.js";
import type { GrpoConfig } from "../train/grpo/config.js";
import { resolveModelPath, runGrpo } from "../train/grpo/runGrpo.js";
import { readabilityFilter, rejectionSample, type RejectionItem, writeJsonlRows } from "../train/rejectionSampling.js";
import type { SftConfig } from "../train/sft/config.js";
import { createSftTrainer } from "../train/sft/trainer.js";
import type { DistillStageConfig, RejectionStageConfig } from "./schema.js";
import { samplingColumns } from "./stageData.js";
import type { StagePlan } from "./stagePlan.js";

export interface StageRunContext {
    /** Continue from the stage's latest checkpoint (the trainers that have them). */
    resume: boolean;
    signal?: AbortSignal;
    log: (message: string) => void;
    /** Progress of a stage with steps (GRPO/SFT steps, sampled prompts). */
    onStep?: (step: number, total: number, fields: Record<string, string | number>) => void;
}

export interface StageOutcome {
    /** The model the next stage starts from. */
    model: string;
    /** The dataset "@<stage>" names; null when the stage wrote none. */
    dataset: string | null;
    /** The trainer's own summary (JSON). */
    summary: Record<string, unknown>;
    /** Stopped by the signal before finishing: no stage.json is written. */
    stopped: boolean;
}


/** Throws a clear error before training when a GRPO stage's code reward has no sandbox to run in. */
async function checkCodeSandbox(plan: StagePlan, config: GrpoConfig): Promise<void> {
    const code = config.rewards.find((r) => r.name === "code");
    if (code === undefined) return;
    const allowUnsandboxed = code.options.allowUnsandboxed === true;
    try {
        await new Sandbox({ allowUnsandboxed }).isolation();
    } catch (err) {
        if (!(err instanceof SandboxUnavailableError)) throw err;
        throw new SandboxUnavailableError(
            `stage "${plan.name}" uses the code reward, but ${err.message} ` +
                "(or drop the code reward and the code rows from this stage)",
        );
    }
}

async function runGrpoStage(plan: StagePlan, ctx: StageRunContext): Promise<StageOutcome> {
    const config = plan.config as GrpoConfig;
    await checkCodeSandbox(plan, config);
    const summary = await runGrpo(config, {
        resume: ctx.resume,
        signal: ctx.signal,
        log: ctx.log,
        onStep: (m) =>
            ctx.onStep?.(m.step, config.optimisation.maxSteps, {
                reward: m.reward,
                ...Object.fromEntries(Object.entries(m.rewards).map(([k, v]) => [k, v.mean])),
            }),
    });
    return { model: summary.finalModel, dataset: plan.dataFile, summary: summary as unknown as Record<string, unknown>, stopped: summary.stopped };
}

async function runSftStage(plan: StagePlan, ctx: StageRunContext): Promise<StageOutcome> {
    const config = plan.config as SftConfig;
    const trainer = await createSftTrainer({ ...config, model: resolveModelPath(config.model) }, {
        resume: ctx.resume,
        onStep: (r) => ctx.onStep?.(r.step, r.totalSteps, { loss: r.loss, lr: r.lr.toExponential(2) }),
    });
    if (trainer.stepsDone > 0) ctx.log(`resumed after step ${trainer.stepsDone} of ${trainer.totalSteps}`);
    const onAbort = (): void => trainer.requestStop();
    ctx.signal?.addEventListener("abort", onAbort, { once: true });
    if (ctx.signal?.aborted) trainer.requestStop();
    try {
        const result = await trainer.train();
        const lines = fs.existsSync(trainer.metricsPath)
            ? fs.readFileSync(trainer.metricsPath, "utf8").trim().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as { loss: number; evalLoss?: number })
            : [];
        const last = lines[lines.length - 1];
        const summary = {
            steps: result.steps,
            totalSteps: trainer.totalSteps,
            stopped: result.modelDir === null,
            finalLoss: last?.loss ?? null,
            evalLoss: [...lines].reverse().find((l) => l.evalLoss !== undefined)?.evalLoss ?? null,
            data: trainer.data.trainSummary,
            finalModel: result.modelDir,
        };
        return { model: result.modelDir ?? plan.inputModel, dataset: plan.dataFile, summary, stopped: result.modelDir === null };
    } finally {
        ctx.signal?.removeEventListener("abort", onAbort);
    }
}

async function runRejectionStage(plan: StagePlan, ctx: StageRunContext): Promise<StageOutcome> {
    const config = plan.config as RejectionStageConfig;
    const where = `stage "${plan.name}"`;
    const rows = await readJsonlRows(plan.dataFile!);
    const { promptColumn, answerColumn } = samplingColumns(rows, config, where);
    const policy = await Policy.fromPretrained(resolveModelPath(plan.inputModel));
    const items: RejectionItem[] = rows.map((row, i) => {
        const question = row[promptColumn];
        const gold = row[answerColumn];
        if (typeof question !== "string") throw new Error(`${where}: data row ${i + 1} has no string column "${promptColumn}"`);
        if (gold === undefined || gold === null) throw new Error(`${where}: data row ${i + 1} has no column "${answerColumn}"`);
        const source = { ...row };
        delete source[promptColumn];
        return { input: renderPrompt(config.promptTemplate, question, policy.tokenizer, config.systemPrompt), prompt: question, gold: String(gold), source };
    });
    const f = config.filter;
    const { rows: kept, summary } = await rejectionSample(policy, items, {
        k: config.k,
        temperature: config.temperature,
        topP: config.topP,
        maxNewTokens: config.maxNewTokens,
        seed: config.seed ?? 0,
        batchSize: config.batchSize,
        keep: config.keep,
        dropTruncated: config.dropTruncated,
        filter: f.enabled
            ? readabilityFilter({ language: f.language, minLanguageConsistency: f.minLanguageConsistency, maxParagraphChars: f.maxParagraphChars, rejectCodeBlocks: f.rejectCodeBlocks })
            : null,
        onProgress: (done, total, s) => ctx.onStep?.(done, total, { verified: `${s.verified}/${s.checked}`, kept: s.kept }),
    });
    if (kept.length < config.minKept) {
        throw new Error(
            `${where}: rejection sampling kept ${kept.length} of ${summary.sampled} completions (fewer than minKept ${config.minKept}; ` +
                `${summary.verified} verified, ${summary.truncated} truncated); raise k or maxNewTokens, or train the previous stage longer`,
        );
    }
    const dataset = path.join(plan.dir, "dataset.jsonl");
    await writeJsonlRows(dataset, kept);
    ctx.log(`kept ${kept.length} of ${summary.sampled} completions (${summary.promptsKept} of ${summary.prompts} prompts)`);
    return { model: plan.inputModel, dataset, summary: summary as unknown as Record<string, unknown>, stopped: false };
}

async function runDistillStage(plan: StagePlan, ctx: StageRunContext): Promise<StageOutcome> {
    const config = plan.config as DistillStageConfig;
    const where = `stage "${plan.name}"`;
    const file = plan.dataFile!;
    const rows = await readJsonlRows(file);
    const { promptColumn, answerColumn } = samplingColumns(rows, config, where);
    const input: DatasetRow[] = rows.map((row, i) => ({ row, source: { file, line: i + 1 } }));
    const traces = path.join(plan.dir, "traces.jsonl");
    const report = new DataReport();
    const t = config.teacher;
    const result = await distill(input, {
        client: { baseUrl: t.baseUrl, model: t.model, apiKeyEnv: t.apiKeyEnv, timeoutMs: t.timeoutMs, maxRetries: t.maxRetries },
        output: traces,
        samplesPerPrompt: config.samplesPerPrompt,
        samplesPerRequest: config.samplesPerRequest,
        concurrency: config.concurrency,
        promptColumn,
        answerColumn,
        promptTemplate: config.promptTemplate,
        ...(config.systemPrompt !== null ? { systemPrompt: config.systemPrompt } : {}),
        temperature: config.temperature,
        topP: config.topP,
        ...(config.maxTokens !== null ? { maxTokens: config.maxTokens } : {}),
        signal: ctx.signal,
        report,
        onProgress: (p) => ctx.onStep?.(p.promptsDone + p.promptsSkipped + p.promptsFailed, rows.length, { kept: p.kept, rejected: p.rejected }),
    });
    const { failures, ...counts } = result;
    const summary = { ...counts, prompts: rows.length, failures: failures.slice(0, 5), badRows: report.toJSON().bad };
    if (result.aborted) return { model: plan.inputModel, dataset: null, summary, stopped: true };
    if (result.promptsFailed > 0) {
        throw new Error(
            `${where}: ${result.promptsFailed} prompts failed at the teacher (first: ${failures[0]?.message ?? "?"}); ` +
                "rerun the recipe to retry them (finished prompts are kept)",
        );
    }
    const kept = fs.existsSync(traces) ? await readJsonlRows(traces) : [];
    if (kept.length < config.minKept) {
        throw new Error(`${where}: the teacher's traces kept ${kept.length} (fewer than minKept ${config.minKept}); check the teacher, its prompt template and maxTokens`);
    }
    const dataset = path.join(plan.dir, "dataset.jsonl");
    await writeJsonlRows(
        dataset,
        kept.map((row) => {
            const { generation, messages: _messages, model, finish_reason, [promptColumn]: question, ...rest } = row;
            return { ...rest, prompt: question, completion: generation, answer: row[answerColumn], teacher: model, finish_reason };
        }),
    );
    ctx.log(`kept ${kept.length} teacher traces (${result.generations} generated this run, ${result.resumedRows} from an earlier one)`);
    return { model: plan.inputModel, dataset, summary, stopped: false };
}

/** Runs the plan's trainer. */
export function runStage(plan: StagePlan, ctx: StageRunContext): Promise<StageOutcome> {
    switch (plan.trainer) {
        case "grpo":
            return runGrpoStage(plan, ctx);
        case "sft":
            return runSftStage(plan, ctx);
        case "rejection_sampling":
            return runRejectionStage(plan, ctx);
        case "distill":
            return runDistillStage(plan, ctx);
    }
}

/** Whether the trainer keeps its own progress between runs (so its folder must survive a restart). */
export function keepsPartialWork(trainer: StagePlan["trainer"]): boolean {
    return trainer === "distill";
}
