/**
 * GRPO end to end on the built-in arithmetic task with the shipped demo
 * model: the reward rises, a resumed run writes exactly the metrics lines of
 * an uninterrupted one (timing aside), and dynamic sampling only trains on
 * groups with reward spread.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { arithmeticProblems } from "../../src/data/builtin/arithmetic.js";
import { r1ZeroPrompt } from "../../src/data/promptTemplates.js";
import { Policy } from "../../src/model/policy.js";
import { createReward } from "../../src/rewards/registry.js";
import type { Sample } from "../../src/rewards/types.js";
import { type GrpoConfigInput, resolveGrpoConfig } from "../../src/train/grpo/config.js";
import { resolveModelPath } from "../../src/train/grpo/runGrpo.js";
import { GrpoTrainer, type StepMetrics } from "../../src/train/grpo/trainer.js";

const modelDir = resolveModelPath("builtin:r1-zero-demo");
const dataset: Sample[] = arithmeticProblems({ count: 400, seed: 3 }).map((p) => ({ question: p.question, answer: String(p.answer) }));
const rewards = [
    { name: "accuracy", weight: 1, fn: createReward("accuracy") },
    { name: "format", weight: 0.5, fn: createReward("format") },
];

function config(runDir: string, overrides: GrpoConfigInput = {}) {
    return resolveGrpoConfig({
        model: modelDir,
        outputDir: runDir,
        seed: 7,
        generation: { numGenerations: 8, promptsPerStep: 8, maxPromptLength: 64, maxCompletionLength: 48, temperature: 1 },
        optimisation: { learningRate: 2e-4, lrSchedule: { type: "constant" }, maxSteps: 12, lossType: "dapo", epsilonHigh: 0.28 },
        logging: { saveEverySteps: 0, sampleEverySteps: 0 },
        ...overrides,
    });
}

async function trainer(runDir: string, overrides: GrpoConfigInput = {}, onStep?: (m: StepMetrics) => void, rewardList = rewards) {
    return new GrpoTrainer({
        policy: await Policy.fromPretrained(modelDir),
        rewards: rewardList,
        config: config(runDir, overrides),
        dataset,
        promptOf: (row) => r1ZeroPrompt(row.question as string),
        runDir,
        onStep,
    });
}

const withoutTiming = (file: string) =>
    fs.readFileSync(file, "utf8").trim().split("\n").map((line) => {
        const { timing: _timing, ...rest } = JSON.parse(line) as StepMetrics;
        return rest;
    });

const tempRun = () => fs.mkdtempSync(path.join(os.tmpdir(), "r1-grpo-"));

describe("GRPO trainer", () => {
    it("raises the reward within a dozen steps", { timeout: 120_000 }, async () => {
        const steps: StepMetrics[] = [];
        const t = await trainer(tempRun(), {}, (m) => steps.push(m));
        await t.train();
        expect(steps).toHaveLength(12);
        const mean = (xs: StepMetrics[]) => xs.reduce((a, m) => a + m.reward, 0) / xs.length;
        expect(mean(steps.slice(-3))).toBeGreaterThan(mean(steps.slice(0, 3)) + 0.3);
        for (const m of steps) {
            expect(m.rewards.accuracy!.mean).toBeGreaterThanOrEqual(0);
            expect(Number.isFinite(m.gradNorm)).toBe(true);
        }
    });

    it("resumes to exactly the metrics of an uninterrupted run", { timeout: 120_000 }, async () => {
        const overrides = { optimisation: { learningRate: 2e-4, lrSchedule: { type: "linear" as const, warmupSteps: 2 }, maxSteps: 6 } };
        const straightDir = tempRun();
        await (await trainer(straightDir, overrides)).train();

        const resumedDir = tempRun();
        const first = await trainer(resumedDir, overrides, (m) => {
            if (m.step === 3) first.requestStop();
        });
        const stopped = await first.train();
        expect(stopped).toEqual({ steps: 3, stopped: true });
        // A step that ran after the checkpoint must be rewritten, not duplicated.
        fs.appendFileSync(path.join(resumedDir, "metrics.jsonl"), `${JSON.stringify({ step: 4, partial: true })}\n`);
        const second = await trainer(resumedDir, overrides);
        expect(await second.resume()).toBe(3);
        await second.train();

        expect(withoutTiming(path.join(resumedDir, "metrics.jsonl"))).toEqual(withoutTiming(path.join(straightDir, "metrics.jsonl")));
    });

    it("with dynamic sampling trains only on groups whose rewards differ", { timeout: 120_000 }, async () => {
        // A crafted reward: constant (no spread) for problems with an even answer, accuracy otherwise,
        // so about half of every round's groups carry no signal and must be replaced.
        const accuracy = createReward("accuracy");
        const crafted = [{ name: "crafted", weight: 1, fn: async (c: Parameters<typeof accuracy>[0], s: Sample) => (Number(s.answer) % 2 === 0 ? 1 : accuracy(c, s)) }];
        const steps: StepMetrics[] = [];
        const run = (enabled: boolean) =>
            trainer(tempRun(), {
                optimisation: { learningRate: 2e-4, lrSchedule: { type: "constant" }, maxSteps: 3 },
                dynamicSampling: { enabled, maxRounds: 4 },
            }, (m) => steps.push(m), crafted);
        await (await run(false)).train();
        expect(steps.some((m) => m.zeroAdvantageFraction > 0)).toBe(true);  // the crafted reward bites
        steps.length = 0;
        await (await run(true)).train();
        for (const m of steps) {
            expect(m.zeroAdvantageFraction).toBe(0);
            expect(m.generationRounds).toBeLessThanOrEqual(4);
        }
        expect(steps.some((m) => m.generationRounds > 1)).toBe(true);
    });
});
