import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
    ConfigError,
    applyOverrides,
    defaultGrpoConfig,
    loadGrpoConfigFile,
    resolveGrpoConfig,
    validateGrpoConfig,
    type GrpoConfigInput,
} from "../../../src/train/grpo/config.js";

const base: GrpoConfigInput = { model: "builtin:demo" };

/** The ConfigError thrown by fn (fails the test if none or another kind). */
function configError(fn: () => unknown): ConfigError {
    try {
        fn();
    } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return err as ConfigError;
    }
    throw new Error("expected a ConfigError");
}

describe("defaults and resolve", () => {
    test("defaults follow TRL HEAD where it has them", () => {
        const c = resolveGrpoConfig(base);
        expect(c.generation.numGenerations).toBe(8);
        expect(c.generation.maxCompletionLength).toBe(256);
        expect([c.generation.temperature, c.generation.topP, c.generation.topK]).toEqual([1, 1, 0]);
        expect(c.optimisation.learningRate).toBe(1e-6);
        expect(c.optimisation.lossType).toBe("dapo");
        expect([c.optimisation.beta, c.optimisation.epsilon, c.optimisation.epsilonHigh]).toEqual([0, 0.2, 0.2]);
        expect(c.optimisation.numIterations).toBe(1);
        expect(c.optimisation.scaleRewards).toBe("group");
        expect(c.optimisation.importanceSamplingLevel).toBe("token");
        expect(c.optimisation.maskTruncatedCompletions).toBe(false);
        expect([c.logging.evalTemperature, c.logging.evalTopP]).toEqual([0.6, 0.95]);
        const { model: _m, ...rest } = c;
        const { model: _d, ...defaults } = defaultGrpoConfig();
        expect(rest).toEqual(defaults);
    });

    test("the model is required", () => {
        const err = configError(() => resolveGrpoConfig({}));
        expect(err.field).toBe("model");
        expect(err.message).toMatch(/model is required/);
    });

    test("epsilonHigh follows epsilon when unset or null, and stays when set", () => {
        expect(resolveGrpoConfig({ ...base, optimisation: { epsilon: 0.1 } }).optimisation.epsilonHigh).toBe(0.1);
        expect(resolveGrpoConfig({ ...base, optimisation: { epsilon: 0.1, epsilonHigh: null } }).optimisation.epsilonHigh).toBe(0.1);
        expect(resolveGrpoConfig({ ...base, optimisation: { epsilonHigh: 0.28 } }).optimisation.epsilonHigh).toBe(0.28);
    });

    test("nested partials merge; the result shares nothing with the input or defaults", () => {
        const input: GrpoConfigInput = { ...base, generation: { temperature: 0.7 }, rewards: [{ name: "accuracy" }] };
        const c = resolveGrpoConfig(input);
        expect(c.generation.temperature).toBe(0.7);
        expect(c.generation.numGenerations).toBe(8);
        expect(c.rewards).toEqual([{ name: "accuracy", weight: 1, options: {} }]);
        c.rewards[0]!.weight = 5;
        expect(input.rewards![0]).toEqual({ name: "accuracy" });
        const d = resolveGrpoConfig(base);
        d.optimisation.lrSchedule.warmupSteps = 3;
        expect(defaultGrpoConfig().optimisation.lrSchedule.warmupSteps).toBe(0);
    });

    test("rewards may be given as names", () => {
        const c = resolveGrpoConfig({ ...base, rewards: ["accuracy", { name: "format", weight: 0.5 }] });
        expect(c.rewards.map((r) => [r.name, r.weight])).toEqual([["accuracy", 1], ["format", 0.5]]);
    });
});

describe("validation errors name the field and the fix", () => {
    const cases: [string, GrpoConfigInput, string, RegExp][] = [
        ["G = 1", { generation: { numGenerations: 1 } }, "generation.numGenerations", /numGenerations must be an integer >= 2 \(GRPO normalises rewards within a group\); got 1/],
        ["clip-higher", { optimisation: { epsilon: 0.2, epsilonHigh: 0.1 } }, "optimisation.epsilonHigh", /epsilonHigh \(0\.1\) < epsilon \(0\.2\): clip-higher needs epsilonHigh >= epsilon/],
        ["maxRounds", { dynamicSampling: { maxRounds: 0 } }, "dynamicSampling.maxRounds", /dynamicSampling\.maxRounds must be an integer >= 1/],
        ["dr_grpo", { optimisation: { lossType: "dr_grpo" }, generation: { maxCompletionLength: 0 } }, "generation.maxCompletionLength", /lossType 'dr_grpo' needs maxCompletionLength/],
        ["temperature 0", { generation: { temperature: 0 } }, "generation.temperature", /must be > 0/],
        ["topP", { generation: { topP: 1.5 } }, "generation.topP", /must be in \(0, 1\]/],
        ["budget", { optimisation: { tokenBudget: 500 } }, "optimisation.tokenBudget", /must hold one whole sequence: maxPromptLength \+ maxCompletionLength = 768/],
        ["systemPrompt", { data: { systemPrompt: "be brief" } }, "data.systemPrompt", /applies to promptTemplate "chat"/],
        ["two warmups", { optimisation: { lrSchedule: { warmupSteps: 5, warmupRatio: 0.1 } } }, "optimisation.lrSchedule", /not both/],
        ["warmup too long", { optimisation: { maxSteps: 10, lrSchedule: { warmupSteps: 20 } } }, "optimisation.lrSchedule.warmupSteps", /exceeds optimisation\.maxSteps/],
        ["schedule type", { optimisation: { lrSchedule: { type: "step" as never } } }, "optimisation.lrSchedule.type", /must be one of "constant", "linear", "cosine", "cosine_with_min_lr"/],
        ["history reward", { historyResampling: { enabled: true, rewardName: "correct" } }, "historyResampling.rewardName", /"correct" is not one of the rewards \(accuracy, format\)/],
        ["duplicate reward", { rewards: [{ name: "accuracy" }, { name: "accuracy" }] }, "rewards[1].name", /appears twice/],
        ["zero weights", { rewards: [{ name: "accuracy", weight: 0 }] }, "rewards", /all weights are 0/],
        ["no rewards", { rewards: [] }, "rewards", /at least one reward/],
        ["adam beta", { optimisation: { adamBeta2: 1 } }, "optimisation.adamBeta2", /\[0, 1\)/],
        ["μ", { optimisation: { numIterations: 0 } }, "optimisation.numIterations", />= 1/],
        ["evalSamples", { logging: { evalSamples: 0 } }, "logging.evalSamples", />= 1/],
    ];
    for (const [name, input, field, message] of cases) {
        test(name, () => {
            const err = configError(() => resolveGrpoConfig({ ...base, ...input }));
            expect(err.field).toBe(field);
            expect(err.message).toMatch(message);
        });
    }

    test("type errors", () => {
        let err = configError(() => resolveGrpoConfig({ ...base, generation: { temperature: "hot" as never } }));
        expect(err.message).toBe('generation.temperature must be a number; got "hot"');
        err = configError(() => resolveGrpoConfig({ ...base, optimisation: { lossType: "ppo" as never } }));
        expect(err.message).toMatch(/optimisation\.lossType must be one of "grpo", "bnpo", "dr_grpo", "dapo"; got "ppo"/);
        err = configError(() => resolveGrpoConfig({ ...base, generation: { numGenerations: 2.5 } }));
        expect(err.message).toMatch(/must be an integer; got 2\.5/);
        err = configError(() => resolveGrpoConfig({ ...base, generation: 3 as never }));
        expect(err.message).toMatch(/generation must be an object/);
        err = configError(() => resolveGrpoConfig({ ...base, rewards: [{ name: "accuracy", wieght: 2 } as never] }));
        expect(err.message).toMatch(/unknown key "rewards\[0\]\.wieght"/);
        err = configError(() => resolveGrpoConfig({ ...base, curriculum: { schedule: { type: "linear", startFraction: 2, rampSteps: 5 } } }));
        expect(err.field).toBe("curriculum.schedule.startFraction");
    });

    test("unknown keys suggest the closest known key", () => {
        let err = configError(() => resolveGrpoConfig({ ...base, generation: { temperatur: 0.7 } as never }));
        expect(err.message).toBe('unknown config key "generation.temperatur": did you mean "generation.temperature"?');
        err = configError(() => resolveGrpoConfig({ ...base, temperature: 0.7 } as never));
        expect(err.message).toMatch(/did you mean "generation\.temperature"\?/);
        err = configError(() => resolveGrpoConfig({ ...base, optimization: {} } as never));
        expect(err.message).toMatch(/did you mean "optimisation"\?/);
        err = configError(() => resolveGrpoConfig({ ...base, zzzzzz: 1 } as never));
        expect(err.message).toMatch(/known keys: model, outputDir, seed/);
    });

    test("knownRewards checks the names", () => {
        const err = configError(() => resolveGrpoConfig({ ...base, rewards: [{ name: "acuracy" }] }, { knownRewards: ["accuracy", "format"] }));
        expect(err.field).toBe("rewards[0].name");
        expect(err.message).toMatch(/not a known reward \(known: accuracy, format\)/);
    });

    test("validateGrpoConfig checks a config built in code", () => {
        const c = { ...defaultGrpoConfig(), model: "m" };
        expect(() => validateGrpoConfig(c)).not.toThrow();
        c.generation = { ...c.generation, numGenerations: 1 };
        expect(() => validateGrpoConfig(c)).toThrow(/generation\.numGenerations/);
    });
});

describe("applyOverrides", () => {
    test("dotted keys typed by their field", () => {
        const out = applyOverrides(base, [
            "generation.temperature=0.7",
            "generation.topK=20",
            "optimisation.lossType=grpo",
            "optimisation.learningRate=3e-6",
            "dynamicSampling.enabled=true",
            "data.promptTemplate=chat",
            "data.systemPrompt=You are helpful.",
            "model=builtin:other",
        ]);
        const c = resolveGrpoConfig(out);
        expect(c.generation.temperature).toBe(0.7);
        expect(c.generation.topK).toBe(20);
        expect(c.optimisation.lossType).toBe("grpo");
        expect(c.optimisation.learningRate).toBe(3e-6);
        expect(c.dynamicSampling.enabled).toBe(true);
        expect(c.data.systemPrompt).toBe("You are helpful.");
        expect(c.model).toBe("builtin:other");
        expect(base).toEqual({ model: "builtin:demo" }); // not mutated
    });

    test("null for nullable fields; an object of flags", () => {
        const c = resolveGrpoConfig(applyOverrides({ ...base, optimisation: { epsilonHigh: 0.3 } }, { "optimisation.epsilonHigh": "null", "generation.promptsPerStep": 2 }));
        expect(c.optimisation.epsilonHigh).toBe(0.2);
        expect(c.generation.promptsPerStep).toBe(2);
    });

    test("inside arrays and unions: rewards.1.weight, curriculum.schedule.rampSteps, whole JSON values", () => {
        const c = resolveGrpoConfig(applyOverrides(base, ["rewards.1.weight=0.5", "curriculum.schedule.rampSteps=50", "rewardModules=[\"./r.js\"]"]));
        expect(c.rewards).toEqual([
            { name: "accuracy", weight: 1, options: {} },
            { name: "format", weight: 0.5, options: {} },
        ]);
        expect(c.curriculum.schedule).toEqual({ type: "linear", startFraction: 0.25, rampSteps: 50 });
        expect(c.rewardModules).toEqual(["./r.js"]);
        const staged = resolveGrpoConfig(applyOverrides(base, ['curriculum.schedule={"type":"staged","stages":[{"untilStep":10,"maxDifficulty":"easy"}]}']));
        expect(staged.curriculum.schedule).toEqual({ type: "staged", stages: [{ untilStep: 10, maxDifficulty: "easy" }] });
    });

    test("bad overrides name the key", () => {
        expect(() => applyOverrides(base, ["generation.temprature=0.7"])).toThrow(/did you mean "generation\.temperature"/);
        expect(() => applyOverrides(base, ["generation.temperature=warm"])).toThrow(/generation\.temperature must be a number; got "warm"/);
        expect(() => applyOverrides(base, ["dynamicSampling.enabled=maybe"])).toThrow(/true or false/);
        expect(() => applyOverrides(base, ["generation.temperature"])).toThrow(/key=value/);
        expect(() => applyOverrides(base, ["rewards.x.weight=1"])).toThrow(/not an index/);
    });
});

describe("loadGrpoConfigFile", () => {
    let dir = "";
    beforeAll(async () => {
        dir = await mkdtemp(join(tmpdir(), "grpo-config-"));
    });
    afterAll(async () => {
        await rm(dir, { recursive: true, force: true });
    });

    test("JSON", async () => {
        const file = join(dir, "run.json");
        await writeFile(file, JSON.stringify({ model: "builtin:demo", generation: { numGenerations: 16 } }));
        const c = resolveGrpoConfig(await loadGrpoConfigFile(file));
        expect(c.generation.numGenerations).toBe(16);
    });

    test("broken JSON and non-mapping files name the file", async () => {
        const bad = join(dir, "bad.json");
        await writeFile(bad, "{ model: ");
        await expect(loadGrpoConfigFile(bad)).rejects.toThrow(/bad\.json: not valid JSON/);
        const list = join(dir, "list.json");
        await writeFile(list, "[1, 2]");
        await expect(loadGrpoConfigFile(list)).rejects.toThrow(/list\.json: the config must be a mapping/);
    });

    test("YAML: parsed through the yaml package, or a clear error without it", async () => {
        const file = join(dir, "run.yaml");
        await writeFile(file, "model: builtin:demo\ngeneration:\n  numGenerations: 4\n");
        let hasYaml = true;
        try {
            await import("yaml" as string);
        } catch {
            hasYaml = false;
        }
        if (hasYaml) {
            expect(resolveGrpoConfig(await loadGrpoConfigFile(file)).generation.numGenerations).toBe(4);
        } else {
            await expect(loadGrpoConfigFile(file)).rejects.toThrow(/needs the "yaml" package/);
        }
    });
});
