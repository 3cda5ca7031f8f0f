/** SftConfig resolution and validation, and the epoch plan (packing by token budget, seeded order). */
import { describe, expect, it } from "vitest";
import { ConfigError, applySftOverrides, defaultSftConfig, resolveSftConfig } from "../../../src/train/sft/config.js";
import { cutByTokens, epochPlan } from "../../../src/train/sft/pack.js";

const base = { model: "models/m", data: { path: "d.jsonl" } };

function fieldOf(fn: () => unknown): string {
    try {
        fn();
    } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).field;
    }
    throw new Error("no error");
}

describe("resolveSftConfig", () => {
    it("fills TRL's defaults", () => {
        const c = resolveSftConfig(base);
        expect(c.optimisation.learningRate).toBe(2e-5);
        expect(c.data.maxLength).toBe(1024);
        expect(c.training).toEqual({ epochs: 3, maxSteps: -1, gradientAccumulationSteps: 1, tokenBudget: 4096 });
        expect(c.optimisation.lrSchedule.type).toBe("linear");
        expect(c.ropeThetaOverride).toBeNull();
        expect(defaultSftConfig().model).toBe("");
    });

    it("names the field and the fix", () => {
        expect(() => resolveSftConfig({ data: { path: "d.jsonl" } })).toThrow(/model is required: .*--model/);
        expect(fieldOf(() => resolveSftConfig({ model: "m" }))).toBe("data.path");
        expect(() => resolveSftConfig({ ...base, training: { tokenBudget: 512 } })).toThrow(/training\.tokenBudget \(512\) must hold one whole sequence: data\.maxLength is 1024/);
        expect(fieldOf(() => resolveSftConfig({ ...base, training: { maxSteps: 0 } }))).toBe("training.maxSteps");
        expect(fieldOf(() => resolveSftConfig({ ...base, ropeThetaOverride: -1 }))).toBe("ropeThetaOverride");
        expect(fieldOf(() => resolveSftConfig({ ...base, logging: { evalEverySteps: 10 } }))).toBe("logging.evalEverySteps");
        expect(fieldOf(() => resolveSftConfig({ ...base, data: { path: "d", evalPath: "e", evalFraction: 0.1 } }))).toBe("data.evalFraction");
        expect(fieldOf(() => resolveSftConfig({ ...base, data: { path: "d", format: "messages", promptTemplate: "chat" } }))).toBe("data.promptTemplate");
        expect(fieldOf(() => resolveSftConfig({ ...base, data: { path: "d", systemPrompt: "s" } }))).toBe("data.systemPrompt");
        expect(fieldOf(() => resolveSftConfig({ ...base, optimisation: { lrSchedule: { warmupSteps: 20 } }, training: { maxSteps: 10 } }))).toBe(
            "optimisation.lrSchedule.warmupSteps",
        );
        expect(fieldOf(() => resolveSftConfig({ ...base, optimisation: { lrSchedule: { type: "cosine", warmupRatio: 2 } } }))).toBe("optimisation.lrSchedule.warmupRatio");
    });

    it("rejects unknown keys with the closest known one", () => {
        expect(() => resolveSftConfig({ ...base, training: { epoch: 2 } } as never)).toThrow(/"training\.epoch": did you mean "training\.epochs"\?/);
        expect(() => resolveSftConfig({ ...base, learningRate: 1e-5 } as never)).toThrow(/did you mean "optimisation\.learningRate"/);
        expect(() => resolveSftConfig({ ...base, data: { path: "d", format: "chatml" } } as never)).toThrow(/data\.format must be one of "prompt-completion", "messages"/);
    });

    it("types string overrides by the field they set", () => {
        const partial = applySftOverrides(base, ["training.epochs=2", "ropeThetaOverride=300000", "data.evalPath=null", "data.appendEos=false"]);
        const c = resolveSftConfig(partial);
        expect(c.training.epochs).toBe(2);
        expect(c.ropeThetaOverride).toBe(300000);
        expect(c.data.evalPath).toBeNull();
        expect(c.data.appendEos).toBe(false);
        expect(() => applySftOverrides(base, ["training.epochs"])).toThrow(/key=value/);
        expect(() => applySftOverrides(base, ["training.epochs=two"])).toThrow(/training\.epochs must be a number/);
    });
});

describe("epoch plan", () => {
    const lengths = [5, 9, 3, 7, 2, 8, 6, 4, 10, 1, 5, 5];

    it("cuts consecutive groups within the budget; a longer sequence stands alone", () => {
        expect(cutByTokens([0, 1, 2, 3], (i) => [4, 4, 9, 1][i]!, 8)).toEqual([[0, 1], [2], [3]]);
    });

    it("holds every example once per epoch, micro-batches within the budget, GA micro-batches per step", () => {
        const options = { seed: 3, tokenBudget: 12, gradientAccumulationSteps: 2 };
        const steps = epochPlan(lengths, 0, options);
        const seen = steps.flat(2).sort((a, b) => a - b);
        expect(seen).toEqual(lengths.map((_, i) => i));
        for (const micro of steps.flat()) expect(micro.reduce((a, i) => a + lengths[i]!, 0)).toBeLessThanOrEqual(12);
        steps.slice(0, -1).forEach((s) => expect(s.length).toBe(2));
        expect(steps.at(-1)!.length).toBeGreaterThanOrEqual(1);
    });

    it("is a pure function of (seed, epoch); epochs and seeds reshuffle", () => {
        const options = { seed: 3, tokenBudget: 12, gradientAccumulationSteps: 1 };
        expect(epochPlan(lengths, 1, options)).toEqual(epochPlan(lengths, 1, options));
        expect(epochPlan(lengths, 1, options).flat(2)).not.toEqual(epochPlan(lengths, 0, options).flat(2));
        expect(epochPlan(lengths, 0, { ...options, seed: 4 }).flat(2)).not.toEqual(epochPlan(lengths, 0, options).flat(2));
    });
});
