/**
 * The SFT loop. Each optimizer step:
 *   1. plan    — the next gradientAccumulationSteps micro-batches of the epoch's seeded order
 *   2. loss    — forward/backward of each micro-batch, NLL of completion tokens only, divided by
 *                the step's total completion tokens (exact token-weighted accumulation)
 *   3. update  — clip the global gradient norm, AdamW at the schedule's learning rate
 *   4. log     — a metrics.jsonl line (loss, lr, grad norm, tokens/s; held-out loss on eval steps)
 *   5. save    — a checkpoint every saveEverySteps and on stop; the final model in <outputDir>/model
 *
 * Resume continues from the latest checkpoint and writes the same metrics lines an uninterrupted
 * run writes (everything but the `timing` key), since the data order is a pure function of the
 * seed and the checkpoint holds the exact f32 weights, AdamW moments and the logging accumulator.
 */
import fs from "node:fs";
import path from "node:path";
import { learningRate } from "../../algo/schedules.js";
import type { Policy } from "../../model/policy.js";
import { latestCheckpoint, loadCheckpoint, saveCheckpoint } from "../checkpoint.js";
import type { SftConfig } from "./config.js";
import { loadSftData, type SftData } from "./data.js";
import { loadPolicyWithOverrides, rebuildWithOverrides, type ModelOverrides } from "./modelOverrides.js";
import { epochPlan, packExamples } from "./pack.js";
import { accumulateGradients, evaluateLoss } from "./step.js";
import type { SftExample } from "./tokenise.js";

/** One metrics.jsonl line. `timing` differs between runs; everything else is deterministic on CPU. */
export interface SftStepMetrics {
    step: number;
    /** 0-based epoch of the step's data. */
    epoch: number;
    /** The rate the step's update used. */
    lr: number;
    /** Mean of the step losses since the previous line (each a token-weighted mean NLL). */
    loss: number;
    /** The global gradient norm of the step, before clipping. */
    gradNorm: number;
    /** Completion tokens in the loss since the previous line. */
    lossTokens: number;
    /** All tokens trained on since the previous line. */
    tokens: number;
    sequences: number;
    /** Held-out loss (token-weighted mean NLL), on evaluation steps only. */
    evalLoss?: number;
    timing: { stepSeconds: number; tokensPerSecond: number };
}

/** What a step reports to `onStep` (every step, logged or not). */
export interface SftStepReport {
    step: number;
    totalSteps: number;
    loss: number;
    lr: number;
    gradNorm: number;
    tokensPerSecond: number;
    evalLoss?: number;
}

interface Pending {
    lossSum: number;
    steps: number;
    lossTokens: number;
    tokens: number;
    sequences: number;
    seconds: number;
}

interface SftTrainerState {
    version: 1;
    step: number;
    optimizerStep: number;
    epoch: number;
    stepInEpoch: number;
    /** The settings that shape the data order; a resume must match them. */
    plan: { seed: number; tokenBudget: number; gradientAccumulationSteps: number; totalSteps: number; dataHash: string };
    pending: Pending;
}

export interface SftTrainerInit {
    policy: Policy;
    config: SftConfig;
    data: SftData;
    onStep?: (report: SftStepReport) => void;
}

const emptyPending = (): Pending => ({ lossSum: 0, steps: 0, lossTokens: 0, tokens: 0, sequences: 0, seconds: 0 });

/** FNV-1a over the examples' ids and masks: a resume must see the same tokenised data. */
function hashExamples(examples: readonly SftExample[]): string {
    let h = 0x811c9dc5;
    const mix = (x: number) => {
        h ^= x & 0xff;
        h = Math.imul(h, 0x01000193);
        h ^= (x >>> 8) & 0xffffff;
        h = Math.imul(h, 0x01000193);
    };
    for (const e of examples) {
        mix(e.ids.length);
        for (let i = 0; i < e.ids.length; i++) mix(e.ids[i]! * 2 + e.mask[i]!);
    }
    return `${examples.length}:${(h >>> 0).toString(16)}`;
}

export class SftTrainer {
    policy: Policy;
    readonly config: SftConfig;
    readonly data: SftData;
    /** T: optimizer steps of the run (the schedule's length). */
    readonly totalSteps: number;
    private readonly onStep?: (report: SftStepReport) => void;
    private readonly lengths: number[];
    private readonly dataHash: string;
    private step = 0;
    private epoch = 0;
    private stepInEpoch = 0;
    private pending = emptyPending();
    /** The latest step's epoch, rate and gradient norm (a metrics line reports these). */
    private lastStep = { epoch: 0, lr: 0, gradNorm: 0 };
    private plan: { epoch: number; steps: number[][][] } | null = null;
    private stopRequested = false;

    constructor(init: SftTrainerInit) {
        this.policy = init.policy;
        this.config = init.config;
        this.data = init.data;
        this.onStep = init.onStep;
        if (init.data.train.length === 0) throw new Error("SftTrainer: there are no training examples");
        this.lengths = init.data.train.map((e) => e.ids.length);
        this.dataHash = hashExamples(init.data.train);
        const t = init.config.training;
        if (t.maxSteps > 0) {
            this.totalSteps = t.maxSteps;
        } else {
            let total = 0;
            for (let e = 0; e < t.epochs; e++) total += this.epochSteps(e).length;
            this.totalSteps = total;
        }
    }

    get runDir(): string {
        return this.config.outputDir;
    }

    get metricsPath(): string {
        return path.join(this.runDir, "metrics.jsonl");
    }

    /** Optimizer steps taken so far. */
    get stepsDone(): number {
        return this.step;
    }

    /** Ask the loop to stop after the current step; it checkpoints before returning. */
    requestStop(): void {
        this.stopRequested = true;
    }

    /** Continues from the run directory's latest checkpoint, if any; returns the step resumed at. */
    async resume(): Promise<number> {
        const dir = latestCheckpoint(this.runDir);
        if (!dir) return 0;
        const { policy, state } = await loadCheckpoint<SftTrainerState>(dir);
        this.restore(policy, state, dir);
        return this.step;
    }

    /** @internal Adopts a loaded checkpoint (used by resume() and createSftTrainer). */
    restore(policy: Policy, state: SftTrainerState, dir: string): void {
        if (state.version !== 1) throw new Error(`${dir}: trainer state version ${String(state.version)} is not 1`);
        const want = this.planSettings();
        for (const key of ["seed", "tokenBudget", "gradientAccumulationSteps", "totalSteps", "dataHash"] as const) {
            if (state.plan[key] !== want[key]) {
                throw new Error(
                    `${dir}: the checkpoint was made with ${key} ${JSON.stringify(state.plan[key])} but this run has ${JSON.stringify(want[key])}; ` +
                        "resume with the same data and settings (or start a new outputDir)",
                );
            }
        }
        this.policy = policy;
        this.step = state.step;
        this.epoch = state.epoch;
        this.stepInEpoch = state.stepInEpoch;
        this.pending = { ...state.pending };
        this.plan = null;
        // Lines after the checkpoint belong to steps that will run again.
        if (fs.existsSync(this.metricsPath)) {
            const lines = fs.readFileSync(this.metricsPath, "utf8").split("\n").filter((l) => l.trim() !== "");
            const kept = lines.filter((l) => (JSON.parse(l) as { step: number }).step <= this.step);
            fs.writeFileSync(this.metricsPath, kept.map((l) => `${l}\n`).join(""));
        }
    }

    /** Trains until totalSteps or a stop request; saves the final model when the run completes. */
    async train(): Promise<{ steps: number; stopped: boolean; modelDir: string | null }> {
        fs.mkdirSync(this.runDir, { recursive: true });
        const l = this.config.logging;
        while (this.step < this.totalSteps && !this.stopRequested) {
            const report = await this.trainStep();
            const last = this.step === this.totalSteps;
            if (this.data.eval.length > 0 && (last || (l.evalEverySteps > 0 && this.step % l.evalEverySteps === 0))) {
                report.evalLoss = (await evaluateLoss(this.policy, this.data.eval, this.config.training.tokenBudget)).loss;
            }
            if (last || report.evalLoss !== undefined || this.step % l.logEverySteps === 0) this.writeLine(report.evalLoss);
            this.onStep?.(report);
            if (l.saveEverySteps > 0 && this.step % l.saveEverySteps === 0) await this.checkpoint();
        }
        if (this.step < this.totalSteps) {
            await this.checkpoint();
            return { steps: this.step, stopped: true, modelDir: null };
        }
        const modelDir = path.join(this.runDir, "model");
        await this.policy.save(modelDir, { dtype: this.config.saveDtype, overwrite: true });
        return { steps: this.step, stopped: this.stopRequested, modelDir };
    }

    /** Writes a checkpoint of the current step; returns its folder. */
    async checkpoint(): Promise<string> {
        const state: SftTrainerState = {
            version: 1,
            step: this.step,
            optimizerStep: this.policy.native.getOptimizerState().step,
            epoch: this.epoch,
            stepInEpoch: this.stepInEpoch,
            plan: this.planSettings(),
            pending: { ...this.pending },
        };
        return saveCheckpoint(this.runDir, this.step, this.policy, state);
    }

    /** One optimizer step (no logging, evaluation or saving). */
    async trainStep(): Promise<SftStepReport> {
        let steps = this.epochSteps(this.epoch);
        while (this.stepInEpoch >= steps.length) {
            this.epoch++;
            this.stepInEpoch = 0;
            steps = this.epochSteps(this.epoch);
        }
        const o = this.config.optimisation;
        const started = performance.now();
        const microBatches = steps[this.stepInEpoch]!.map((indices) => packExamples(this.data.train, indices));
        const lr = learningRate(o.lrSchedule, this.step, this.totalSteps, o.learningRate);
        this.policy.zeroGrad();
        const acc = await accumulateGradients(this.policy, microBatches);
        const update = await this.policy.optimizerStep({
            lr, maxGradNorm: o.maxGradNorm, weightDecay: o.weightDecay, beta1: o.adamBeta1, beta2: o.adamBeta2, eps: o.adamEps,
        });
        const seconds = (performance.now() - started) / 1000;
        this.step++;
        this.stepInEpoch++;
        const p = this.pending;
        p.lossSum += acc.loss;
        p.steps++;
        p.lossTokens += acc.lossTokens;
        p.tokens += acc.tokens;
        p.sequences += acc.sequences;
        p.seconds += seconds;
        this.lastStep = { epoch: this.epoch, lr, gradNorm: update.gradNorm };
        return { step: this.step, totalSteps: this.totalSteps, loss: acc.loss, lr, gradNorm: update.gradNorm, tokensPerSecond: acc.tokens / Math.max(seconds, 1e-9) };
    }

    /** The held-out loss now (NaN without held-out rows). */
    async evaluate(): Promise<number> {
        return this.data.eval.length > 0 ? (await evaluateLoss(this.policy, this.data.eval, this.config.training.tokenBudget)).loss : Number.NaN;
    }

    private writeLine(evalLoss: number | undefined): void {
        const p = this.pending;
        const line: SftStepMetrics = {
            step: this.step,
            epoch: this.lastStep.epoch,
            lr: this.lastStep.lr,
            loss: p.lossSum / Math.max(p.steps, 1),
            gradNorm: this.lastStep.gradNorm,
            lossTokens: p.lossTokens,
            tokens: p.tokens,
            sequences: p.sequences,
            ...(evalLoss !== undefined ? { evalLoss } : {}),
            timing: { stepSeconds: p.seconds / Math.max(p.steps, 1), tokensPerSecond: p.tokens / Math.max(p.seconds, 1e-9) },
        };
        fs.appendFileSync(this.metricsPath, `${JSON.stringify(line)}\n`);
        this.pending = emptyPending();
    }

    private epochSteps(epoch: number): number[][][] {
        if (this.plan?.epoch !== epoch) {
            const t = this.config.training;
            this.plan = {
                epoch,
                steps: epochPlan(this.lengths, epoch, { seed: this.config.seed, tokenBudget: t.tokenBudget, gradientAccumulationSteps: t.gradientAccumulationSteps }),
            };
        }
        return this.plan.steps;
    }

    private planSettings(): SftTrainerState["plan"] {
        const t = this.config.training;
        return { seed: this.config.seed, tokenBudget: t.tokenBudget, gradientAccumulationSteps: t.gradientAccumulationSteps, totalSteps: this.totalSteps, dataHash: this.dataHash };
    }
}

export interface CreateSftTrainerOptions {
    /** Train this policy instead of loading config.model (overrides are applied to a rebuilt copy). */
    policy?: Policy;
    /** Continue from the latest checkpoint in outputDir when there is one. */
    resume?: boolean;
    onStep?: (report: SftStepReport) => void;
}

/**
 * The trainer of a config: the model (with the RoPE overrides applied), the tokenised data,
 * and — with `resume` — the latest checkpoint. Writes sft_config.json and data_summary.json
 * into outputDir.
 */
export async function createSftTrainer(config: SftConfig, options: CreateSftTrainerOptions = {}): Promise<SftTrainer> {
    const overrides: ModelOverrides = { ropeTheta: config.ropeThetaOverride, maxPositionEmbeddings: config.maxPositionEmbeddings };
    const resumeDir = options.resume ? latestCheckpoint(config.outputDir) : null;
    let checkpoint: Awaited<ReturnType<typeof loadCheckpoint<SftTrainerState>>> | null = null;
    let policy: Policy;
    if (resumeDir !== null) {
        checkpoint = await loadCheckpoint<SftTrainerState>(resumeDir);
        policy = checkpoint.policy;
    } else if (options.policy) {
        policy = rebuildWithOverrides(options.policy, overrides);
    } else {
        policy = await loadPolicyWithOverrides(config.model, overrides, path.join(config.outputDir, "base-model"));
    }
    if (!policy.tokenizer) throw new Error(`model ${config.model}: SFT needs a tokenizer (tokenizer.json in the model folder)`);
    if (config.data.maxLength > policy.config.maxPositionEmbeddings) {
        throw new Error(
            `data.maxLength (${config.data.maxLength}) exceeds the model's max_position_embeddings (${policy.config.maxPositionEmbeddings}); ` +
                "lower maxLength or raise maxPositionEmbeddings (with ropeThetaOverride for long-context training)",
        );
    }
    const data = await loadSftData(policy.tokenizer, config.data, config.seed);
    const trainer = new SftTrainer({ policy, config, data, onStep: options.onStep });
    if (checkpoint !== null && resumeDir !== null) trainer.restore(checkpoint.policy, checkpoint.state, resumeDir);
    fs.mkdirSync(config.outputDir, { recursive: true });
    fs.writeFileSync(path.join(config.outputDir, "sft_config.json"), `${JSON.stringify(config, null, 2)}\n`);
    fs.writeFileSync(
        path.join(config.outputDir, "data_summary.json"),
        `${JSON.stringify({ train: data.trainSummary, eval: data.evalSummary, totalSteps: trainer.totalSteps }, null, 2)}\n`,
    );
    return trainer;
}
