/**
 * The GRPO loop. Each step reads like the paper:
 *   1. rollout   — B prompts × G completions from the policy
 *   2. score     — rule-based rewards, weighted
 *   3. advantage — A = (r − mean_group) / (std_group + ε)
 *   4. optimise  — clipped surrogate + β·KL over token-budget micro-batches, AdamW
 *   5. log       — one metrics.jsonl line; samples and checkpoints every N steps
 * with DAPO dynamic sampling and SRPO history resampling as options, and
 * resume that reproduces an uninterrupted run's metrics on CPU.
 */
import fs from "node:fs";
import path from "node:path";
import { groupAdvantages } from "../../algo/advantages.js";
import { Curriculum, difficultiesFromRows } from "../../algo/curriculum.js";
import { DynamicSamplingBuffer } from "../../algo/dynamicSampling.js";
import { HistoryResampler, type HistoryResamplerState } from "../../algo/historyResampling.js";
import { deriveSeed, EpochBatchIterator, type BatchIteratorState } from "../../algo/sampling.js";
import { learningRate } from "../../algo/schedules.js";
import type { Policy } from "../../model/policy.js";
import type { NamedReward, Sample } from "../../rewards/types.js";
import { latestCheckpoint, loadCheckpoint, saveCheckpoint } from "../checkpoint.js";
import type { GrpoConfig } from "./config.js";
import { optimizeOnRollouts } from "./optimize.js";
import { generateRollouts, type PromptItem, type Rollout } from "./rollout.js";
import { rewardStats } from "../../rewards/combine.js";
import { scoreRollouts } from "./score.js";

export interface GrpoTrainerInit {
    policy: Policy;
    /** Frozen reference for the KL term; needed when beta > 0. */
    reference?: Policy | null;
    rewards: NamedReward[];
    config: GrpoConfig;
    /** Training rows. */
    dataset: readonly Sample[];
    /** Renders a row's prompt text (the template is applied here). */
    promptOf: (sample: Sample) => string;
    /** Where metrics, samples and checkpoints go. */
    runDir: string;
    /** Called with each metrics line (progress display). */
    onStep?: (metrics: StepMetrics) => void;
}

/** One metrics.jsonl line. `timing` differs between runs; everything else is deterministic on CPU. */
export interface StepMetrics {
    step: number;
    epoch: number;
    lr: number;
    loss: number;
    reward: number;
    rewardStd: number;
    /** Per reward: mean and std over the rollouts it scored (NaN → null in JSON when none). */
    rewards: Record<string, { mean: number; std: number }>;
    completionLength: { mean: number; max: number };
    truncatedFraction: number;
    zeroAdvantageFraction: number;
    clipLowFraction: number;
    clipHighFraction: number;
    kl: number;
    entropy: number;
    gradNorm: number;
    generationRounds: number;
    timing: { stepSeconds: number; generationTokensPerSecond: number; trainingTokensPerSecond: number };
}

interface TrainerState {
    step: number;
    optimizerStep: number;
    iterator: BatchIteratorState;
    history: HistoryResamplerState | null;
}

export class GrpoTrainer {
    policy: Policy;
    private readonly init: GrpoTrainerInit;
    private readonly config: GrpoConfig;
    private iterator: EpochBatchIterator;
    private history: HistoryResampler | null;
    private readonly curriculum: Curriculum | null;
    private step = 0;
    private stopRequested = false;
    private readonly promptCache = new Map<number, PromptItem>();

    constructor(init: GrpoTrainerInit) {
        this.init = init;
        this.config = init.config;
        this.policy = init.policy;
        if (this.config.optimisation.beta > 0 && !init.reference) throw new Error("GrpoTrainer: beta > 0 needs a reference model");
        this.iterator = new EpochBatchIterator({ datasetSize: init.dataset.length, batchSize: this.config.generation.promptsPerStep, seed: this.config.seed });
        const cur = this.config.curriculum;
        if (cur.enabled && this.config.dynamicSampling.enabled) {
            throw new Error("curriculum and dynamicSampling cannot be combined yet: the curriculum fixes each step's prompts; enable one of them");
        }
        this.curriculum = cur.enabled ? new Curriculum(difficultiesFromRows(init.dataset, cur.column), cur.schedule, this.config.seed, cur.column) : null;
        this.history = this.config.historyResampling.enabled ? new HistoryResampler({ threshold: this.config.historyResampling.threshold, mode: this.config.historyResampling.mode }) : null;
    }

    /** Ask the loop to stop after the current step (it checkpoints first). */
    requestStop(): void {
        this.stopRequested = true;
    }

    get metricsPath(): string {
        return path.join(this.init.runDir, "metrics.jsonl");
    }

    /** Continues from the run directory's latest checkpoint, if any; returns the step resumed at. */
    async resume(): Promise<number> {
        const dir = latestCheckpoint(this.init.runDir);
        if (!dir) return 0;
        const { policy, state } = await loadCheckpoint<TrainerState>(dir);
        this.policy = policy;
        this.step = state.step;
        this.iterator = EpochBatchIterator.fromState(state.iterator, {
            datasetSize: this.init.dataset.length,
            batchSize: this.config.generation.promptsPerStep,
            seed: this.config.seed,
        });
        this.history = state.history ? HistoryResampler.fromState(state.history) : null;
        // Metrics lines after the checkpoint belong to steps that will run again.
        if (fs.existsSync(this.metricsPath)) {
            const lines = fs.readFileSync(this.metricsPath, "utf8").split("\n").filter((l) => l.trim() !== "");
            const kept = lines.filter((l) => (JSON.parse(l) as { step: number }).step <= this.step);
            fs.writeFileSync(this.metricsPath, kept.map((l) => `${l}\n`).join(""));
        }
        return this.step;
    }

    async train(): Promise<{ steps: number; stopped: boolean }> {
        fs.mkdirSync(this.init.runDir, { recursive: true });
        const c = this.config;
        while (this.step < c.optimisation.maxSteps && !this.stopRequested) {
            const metrics = await this.trainStep();
            fs.appendFileSync(this.metricsPath, `${JSON.stringify(metrics)}\n`);
            this.init.onStep?.(metrics);
            if (c.logging.saveEverySteps > 0 && this.step % c.logging.saveEverySteps === 0) await this.checkpoint();
        }
        if (this.stopRequested) await this.checkpoint();
        return { steps: this.step, stopped: this.stopRequested };
    }

    async checkpoint(): Promise<string> {
        const state: TrainerState = {
            step: this.step,
            optimizerStep: this.policy.native.getOptimizerState().step,
            iterator: this.iterator.state(),
            history: this.history?.state() ?? null,
        };
        return saveCheckpoint(this.init.runDir, this.step, this.policy, state);
    }

    private prompt(index: number): PromptItem {
        let item = this.promptCache.get(index);
        if (!item) {
            const sample = this.init.dataset[index]!;
            const text = this.init.promptOf(sample);
            item = { text, ids: this.policy.encode(text), sample, id: String(index) };
            this.promptCache.set(index, item);
        }
        return item;
    }

    /** One full GRPO step. */
    async trainStep(): Promise<StepMetrics> {
        const c = this.config;
        const g = c.generation.numGenerations;
        const started = performance.now();
        const epoch = this.iterator.epoch;
        let rollouts: Rollout[] = [];
        let scores = { total: [] as number[], perReward: {} as Record<string, (number | null)[]> };
        let rounds = 0;
        let generated = 0;
        let generationSeconds = 0;
        const buffer = c.dynamicSampling.enabled ? new DynamicSamplingBuffer<{ promptIndex: number; rewards: number[]; offset: number }>(c.generation.promptsPerStep, c.dynamicSampling.maxRounds) : null;
        const pool: { rollouts: Rollout[]; total: number[]; perReward: Record<string, (number | null)[]> }[] = [];
        do {
            // The curriculum picks each step's prompts by difficulty; otherwise epochs of shuffled data.
            const batch = this.curriculum
                ? { indices: this.curriculum.batchAt(this.step, c.generation.promptsPerStep, this.excludedByHistory()), lastOfEpoch: false }
                : this.iterator.next();
            const prompts = batch.indices.map((i) => this.prompt(i));
            const t0 = performance.now();
            const round = await generateRollouts(this.policy, prompts, {
                numGenerations: g,
                maxCompletionLength: c.generation.maxCompletionLength,
                temperature: c.generation.temperature,
                topP: c.generation.topP,
                topK: c.generation.topK,
                seed: deriveSeed(c.seed, this.step, rounds),
            });
            generationSeconds += (performance.now() - t0) / 1000;
            generated += round.reduce((a, r) => a + r.ids.length, 0);
            const s = await scoreRollouts(round, this.init.rewards);
            this.recordHistory(round, s.perReward);
            if (batch.lastOfEpoch && this.history) this.applyHistoryResampling();
            rounds++;
            if (!buffer) {
                rollouts = round;
                scores = s;
                break;
            }
            const offset = pool.length;
            pool.push({ rollouts: round, total: s.total, perReward: s.perReward });
            buffer.add(prompts.map((_, p) => ({ promptIndex: p, rewards: s.total.slice(p * g, (p + 1) * g), offset })));
        } while (buffer && buffer.needsMore());
        if (buffer) {
            const groups = buffer.take();
            for (const group of groups) {
                const src = pool[group.offset]!;
                for (let j = 0; j < g; j++) {
                    const i = group.promptIndex * g + j;
                    rollouts.push(src.rollouts[i]!);
                    scores.total.push(src.total[i]!);
                    for (const [name, values] of Object.entries(src.perReward)) (scores.perReward[name] ??= []).push(values[i]!);
                }
            }
        }

        const adv = groupAdvantages(scores.total, g, c.optimisation.scaleRewards);
        const lr = learningRate(c.optimisation.lrSchedule, this.step, c.optimisation.maxSteps, c.optimisation.learningRate);
        const t1 = performance.now();
        const opt = rollouts.length > 0
            ? await optimizeOnRollouts(this.policy, this.init.reference ?? null, rollouts, adv.advantages, lr, {
                numIterations: c.optimisation.numIterations,
                beta: c.optimisation.beta,
                epsilon: c.optimisation.epsilon,
                epsilonHigh: c.optimisation.epsilonHigh,
                lossType: c.optimisation.lossType,
                importanceSamplingLevel: c.optimisation.importanceSamplingLevel,
                maskTruncatedCompletions: c.optimisation.maskTruncatedCompletions,
                maxCompletionLength: c.generation.maxCompletionLength,
                temperature: c.generation.temperature,
                tokenBudget: c.optimisation.tokenBudget,
                maxGradNorm: c.optimisation.maxGradNorm,
                weightDecay: c.optimisation.weightDecay,
                adamBeta1: c.optimisation.adamBeta1,
                adamBeta2: c.optimisation.adamBeta2,
                adamEps: c.optimisation.adamEps,
            })
            : null;
        const trainingSeconds = (performance.now() - t1) / 1000;
        this.step++;

        const lengths = rollouts.map((r) => r.ids.length);
        const stats = rewardStats({ ...scores.perReward, total: scores.total });
        const metrics: StepMetrics = {
            step: this.step,
            epoch,
            lr,
            loss: opt?.loss ?? 0,
            reward: stats.total!.mean,
            rewardStd: stats.total!.std,
            rewards: Object.fromEntries(this.init.rewards.map((r) => [r.name, { mean: stats[r.name]!.mean, std: stats[r.name]!.std }])),
            completionLength: { mean: lengths.reduce((a, b) => a + b, 0) / Math.max(lengths.length, 1), max: Math.max(0, ...lengths) },
            truncatedFraction: rollouts.filter((r) => r.finishReason === "length").length / Math.max(rollouts.length, 1),
            zeroAdvantageFraction: rollouts.length ? adv.zeroStdGroups / (rollouts.length / g) : 1,
            clipLowFraction: opt?.clipLowFraction ?? 0,
            clipHighFraction: opt?.clipHighFraction ?? 0,
            kl: opt?.meanKl ?? 0,
            entropy: opt?.meanEntropy ?? 0,
            gradNorm: opt?.gradNorm ?? 0,
            generationRounds: rounds,
            timing: {
                stepSeconds: (performance.now() - started) / 1000,
                generationTokensPerSecond: generated / Math.max(generationSeconds, 1e-9),
                trainingTokensPerSecond: (opt?.trainingTokens ?? 0) / Math.max(trainingSeconds, 1e-9),
            },
        };
        if (c.logging.sampleEverySteps > 0 && this.step % c.logging.sampleEverySteps === 0) this.writeSamples(rollouts, scores.total);
        return metrics;
    }

    private recordHistory(rollouts: readonly Rollout[], perReward: Record<string, (number | null)[]>): void {
        if (!this.history) return;
        const accuracy = perReward[this.config.historyResampling.rewardName];
        if (!accuracy) return;
        const byPrompt = new Map<string, number[]>();
        rollouts.forEach((r, i) => {
            const list = byPrompt.get(r.prompt.id) ?? [];
            list.push(accuracy[i] ?? 0);
            byPrompt.set(r.prompt.id, list);
        });
        for (const [id, values] of byPrompt) this.history.record(id, values);
    }

    private excludedByHistory(): Set<number> | undefined {
        if (!this.history) return undefined;
        return new Set(this.init.dataset.map((_, i) => i).filter((i) => this.history!.isExcluded(String(i))));
    }

    private applyHistoryResampling(): void {
        this.history!.endEpoch();
        const keep = this.history!.filterItems(this.init.dataset.map((_, i) => i), (i) => String(i));
        if (keep.length >= this.config.generation.promptsPerStep) this.iterator.setNextEpochIndices(keep);
    }

    private writeSamples(rollouts: readonly Rollout[], rewards: readonly number[]): void {
        const file = path.join(this.init.runDir, "samples.jsonl");
        const lines = rollouts.slice(0, this.config.generation.numGenerations * 2).map((r, i) =>
            JSON.stringify({ step: this.step, prompt: r.prompt.text.slice(-200), completion: r.text, reward: rewards[i], finishReason: r.finishReason }),
        );
        fs.appendFileSync(file, `${lines.join("\n")}\n`);
    }
}
