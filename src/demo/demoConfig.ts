/**
 * The default run of `r1-native train`: R1-Zero on the built-in arithmetic task
 * with the tiny base model that ships in models/r1-zero-demo, sized to finish
 * in a few minutes on a 2-core CPU. Held-out accuracy is pass@1 the way
 * DeepSeek-R1 reports it (4 samples per problem at temperature 0.6, top-p
 * 0.95), before and after, on the same 200 held-out problems.
 */
import type { GrpoConfigInput } from "../train/grpo/config.js";
import { BUILTIN_DEMO_MODEL } from "../train/grpo/runGrpo.js";

export const DEMO_GRPO_CONFIG: GrpoConfigInput = {
    model: BUILTIN_DEMO_MODEL,
    outputDir: "runs/r1-zero-demo",
    seed: 42,
    data: { dataset: "builtin:arithmetic", evalDataset: "builtin:arithmetic", promptTemplate: "r1-zero" },
    generation: { numGenerations: 8, promptsPerStep: 16, maxPromptLength: 64, maxCompletionLength: 48, temperature: 1.0 },
    optimisation: {
        learningRate: 2e-4,
        lrSchedule: { type: "constant", warmupSteps: 5 },
        maxSteps: 60,
        lossType: "dapo",
        beta: 0,
        epsilon: 0.2,
        epsilonHigh: 0.28,
        tokenBudget: 4096,
    },
    rewards: [
        { name: "accuracy", weight: 1 },
        { name: "format", weight: 0.5 },
    ],
    logging: { saveEverySteps: 20, sampleEverySteps: 10, evalSamples: 4, evalProblems: 200, evalTemperature: 0.6, evalTopP: 0.95 },
};
