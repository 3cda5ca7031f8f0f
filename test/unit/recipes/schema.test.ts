/**
 * Recipe parsing and planning without training: the shipped recipes parse; bad recipes fail with
 * errors that name the stage and the field; overrides land where they say; stage data is
 * materialised as documented; smoke caps and plan hashes behave.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { CODE_BASICS_SIZE } from "../../../src/data/builtin/codeBasics.js";
import { applyRecipeOverrides, ConfigError, loadRecipeFile, parseRecipe } from "../../../src/recipes/schema.js";
import { materialiseData } from "../../../src/recipes/stageData.js";
import { planStage, resolveSmoke } from "../../../src/recipes/stagePlan.js";
import type { GrpoConfig } from "../../../src/train/grpo/config.js";
import type { SftConfig } from "../../../src/train/sft/config.js";
import { verifyMath } from "../../../src/verify/index.js";

const recipesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../recipes");

const grpoStage = (extra: Record<string, unknown> = {}) => ({ name: "rl", trainer: "grpo", data: "builtin:arithmetic", config: {}, ...extra });
const recipeWith = (stages: unknown[], extra: Record<string, unknown> = {}) => ({ name: "t", outputDir: "/tmp/t", model: "builtin:r1-zero-demo", stages, ...extra });

function fieldOf(run: () => unknown): { field: string; message: string } {
    try {
        run();
    } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return { field: (err as ConfigError).field, message: (err as ConfigError).message };
    }
    throw new Error("expected a ConfigError");
}

describe("parseRecipe", () => {
    it("parses every shipped recipe", async () => {
        const files = fs.readdirSync(recipesDir).filter((f) => f.endsWith(".yaml"));
        expect(files.sort()).toEqual(["distill.yaml", "r1-zero.yaml", "r1.yaml", "srpo.yaml"]);
        const trainers: Record<string, string[]> = {};
        for (const file of files) {
            const recipe = parseRecipe(await loadRecipeFile(path.join(recipesDir, file)));
            trainers[recipe.name] = recipe.stages.map((s) => s.trainer);
            expect(recipe.evaluation).not.toBeNull();
        }
        expect(trainers).toEqual({
            distill: ["distill", "sft"],
            "r1-zero": ["grpo"],
            r1: ["sft", "grpo", "rejection_sampling", "sft", "grpo"],
            srpo: ["grpo", "grpo"],
        });
    });

    it("names the stage and the field of a bad trainer config", () => {
        expect(fieldOf(() => parseRecipe(recipeWith([grpoStage({ config: { generation: { topP: 2 } } })]))).field).toBe("stages[0] (rl).config.generation.topP");
        const typo = fieldOf(() => parseRecipe(recipeWith([grpoStage({ config: { generation: { temprature: 1 } } })])));
        expect(typo.field).toBe("stages[0] (rl).config.generation.temprature");
        expect(typo.message).toContain('did you mean "generation.temperature"');
        expect(fieldOf(() => parseRecipe(recipeWith([grpoStage({ config: { rewards: ["acuracy"] } })]))).field).toBe("stages[0] (rl).config.rewards[0].name");
        expect(fieldOf(() => parseRecipe(recipeWith([grpoStage({ config: { model: "x" } })]))).field).toBe("stages[0] (rl).config.model");
        const sft = { name: "s", trainer: "sft", data: "builtin:arithmetic-solutions", config: { training: { epochs: 0 } } };
        expect(fieldOf(() => parseRecipe(recipeWith([sft]))).field).toBe("stages[0] (s).config.training.epochs");
        const teacher = { name: "d", trainer: "distill", data: "builtin:arithmetic", config: { teacher: { model: "m" } } };
        expect(fieldOf(() => parseRecipe(recipeWith([teacher]))).field).toBe("stages[0] (d).config.teacher.baseUrl");
        const rs = { name: "r", trainer: "rejection_sampling", data: "builtin:arithmetic", config: { k: 0 } };
        expect(fieldOf(() => parseRecipe(recipeWith([rs]))).field).toBe("stages[0] (r).config.k");
    });

    it("names the stage and the field of bad stage wiring", () => {
        expect(fieldOf(() => parseRecipe(recipeWith([grpoStage({ trainer: "ppo" })]))).field).toBe("stages[0] (rl).trainer");
        expect(fieldOf(() => parseRecipe(recipeWith([grpoStage(), grpoStage()]))).field).toBe("stages[1] (rl).name");
        expect(fieldOf(() => parseRecipe(recipeWith([grpoStage({ name: "base" })]))).field).toBe("stages[0] (base).name");
        expect(fieldOf(() => parseRecipe(recipeWith([grpoStage()], { model: null }))).field).toBe("stages[0] (rl).model");
        expect(fieldOf(() => parseRecipe(recipeWith([grpoStage({ model: "x" }), grpoStage({ name: "b", model: "@base" })], { model: null }))).field).toBe("stages[1] (b).model");
        expect(fieldOf(() => parseRecipe(recipeWith([grpoStage({ model: "@later" }), grpoStage({ name: "later" })]))).message).toContain("must name an earlier stage");
        const later = { name: "s", trainer: "sft", data: ["builtin:arithmetic-solutions", "@rs"], config: {} };
        const rs = { name: "rs", trainer: "rejection_sampling", data: "builtin:arithmetic", config: {} };
        expect(fieldOf(() => parseRecipe(recipeWith([later, rs]))).field).toBe("stages[0] (s).data[1].source");
        const noData = { name: "plain", trainer: "grpo", config: {} };
        const fromPlain = { name: "s", trainer: "sft", data: "@plain", config: {} };
        expect(fieldOf(() => parseRecipe(recipeWith([noData, fromPlain]))).message).toContain('stage "plain" writes no dataset');
        expect(fieldOf(() => parseRecipe(recipeWith([{ ...rs, data: undefined }]))).field).toBe("stages[0] (rs).data");
        expect(fieldOf(() => parseRecipe(recipeWith([{ name: "s", trainer: "sft", config: {} }]))).message).toContain("an sft stage needs training rows");
        expect(fieldOf(() => parseRecipe(recipeWith([grpoStage({ data: "builtin:arithmetics" })]))).field).toBe("stages[0] (rl).data.source");
        expect(fieldOf(() => parseRecipe(recipeWith([grpoStage({ data: { source: "builtin:arithmetic", count: 0 } })]))).field).toBe("stages[0] (rl).data.count");
        expect(fieldOf(() => parseRecipe(recipeWith([grpoStage({ epochs: 3 })]))).field).toBe("stages[0] (rl).epochs");
        expect(fieldOf(() => parseRecipe(recipeWith([grpoStage()], { evaluation: { problems: 0 } }))).field).toBe("evaluation.problems");
        expect(fieldOf(() => parseRecipe(recipeWith([grpoStage()], { output: "x" }))).field).toBe("output");
        expect(fieldOf(() => parseRecipe(recipeWith([]))).field).toBe("stages");
    });
});

describe("applyRecipeOverrides", () => {
    it("sets inside a stage by its name, or a recipe field", () => {
        const raw = recipeWith([grpoStage()]);
        const out = applyRecipeOverrides(raw, ["rl.config.optimisation.maxSteps=7", "rl.model=/models/x", "seed=3", "evaluation.problems=50"]);
        const recipe = parseRecipe(out);
        expect(recipe.stages[0]!.config).toEqual({ optimisation: { maxSteps: 7 } });
        expect(recipe.stages[0]!.model).toBe("/models/x");
        expect(recipe.seed).toBe(3);
        expect(recipe.evaluation!.problems).toBe(50);
        expect(raw.stages[0]).toEqual(grpoStage()); // the input is not changed
        expect(() => applyRecipeOverrides(raw, ["nosuch.config.x=1"])).toThrow(/neither a stage \(rl\) nor a recipe field/);
        expect(() => applyRecipeOverrides(raw, ["rl"])).toThrow(/key=value/);
    });
});

describe("stage data and plans", () => {
    const made: string[] = [];
    const dir = () => {
        const d = fs.mkdtempSync(path.join(os.tmpdir(), "r1-recipe-unit-"));
        made.push(d);
        return d;
    };
    afterAll(() => {
        for (const d of made) fs.rmSync(d, { recursive: true, force: true });
    });
    const options = (extra = {}) => ({ seed: 5, stageDatasets: new Map<string, string>(), maxRowsPerSource: null, where: "test data", ...extra });

    it("materialises generators, stage datasets and renames, in order", async () => {
        const d = dir();
        const cold = await materialiseData([{ source: "builtin:arithmetic-solutions", count: 20, split: null, seed: null, columns: null }], path.join(d, "cold.jsonl"), options());
        expect(cold.rows).toBe(20);
        const rows = fs.readFileSync(cold.file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { prompt: string; completion: string; answer: string });
        for (const row of rows) expect(verifyMath(row.answer, row.completion)).toBe(true);
        const mixed = await materialiseData(
            [
                { source: "@cold", count: 5, split: null, seed: null, columns: { question: "prompt" } },
                { source: "builtin:code-basics", count: CODE_BASICS_SIZE + 2, split: null, seed: null, columns: null },
            ],
            path.join(d, "mixed.jsonl"),
            options({ stageDatasets: new Map([["cold", cold.file]]), maxRowsPerSource: 100 }),
        );
        expect(mixed.sources).toEqual([{ source: "@cold", rows: 5 }, { source: "builtin:code-basics", rows: CODE_BASICS_SIZE + 2 }]);
        const out = fs.readFileSync(mixed.file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(out[0]).toEqual({ question: rows[0]!.prompt, completion: rows[0]!.completion, answer: rows[0]!.answer });
        expect(Array.isArray(out[5]!.tests)).toBe(true);
        expect(out[5]!.question).toBe(out[5 + CODE_BASICS_SIZE]!.question); // cycled
        const capped = await materialiseData([{ source: "builtin:arithmetic", count: null, split: "heldout", seed: null, columns: null }], path.join(d, "c.jsonl"), options({ maxRowsPerSource: 7 }));
        expect(capped.rows).toBe(7);
        await expect(materialiseData([{ source: "@cold", count: null, split: null, seed: null, columns: { q: "nope" } }], path.join(d, "x.jsonl"), options({ stageDatasets: new Map([["cold", cold.file]]) })))
            .rejects.toThrow(/row 1 has no column "nope"/);
    });

    it("caps every stage under smoke, and hashes what shapes a stage", async () => {
        const recipe = parseRecipe(await loadRecipeFile(path.join(recipesDir, "r1.yaml")));
        const smoke = resolveSmoke(true);
        const rl = planStage(recipe, 1, "/tmp/out", "/tmp/out/01-cold_start/model", smoke);
        const g = rl.config as GrpoConfig;
        expect(g.optimisation.maxSteps).toBe(2);
        expect(g.generation.promptsPerStep).toBe(4);
        expect(g.generation.numGenerations).toBe(4);
        expect(g.optimisation.lrSchedule.warmupSteps).toBe(2);
        expect(g.model).toBe("/tmp/out/01-cold_start/model");
        expect(g.outputDir).toBe(path.join("/tmp/out", "02-reasoning_rl"));
        expect(g.data.dataset).toBe(path.join("/tmp/out", "02-reasoning_rl", "data.jsonl"));
        const cold = planStage(recipe, 0, "/tmp/out", "builtin:r1-zero-demo", smoke);
        expect((cold.config as SftConfig).training.maxSteps).toBe(2);
        expect((cold.config as SftConfig).saveDtype).toBe("f32");
        expect(cold.maxRowsPerSource).toBe(64);
        expect(planStage(recipe, 2, "/tmp/out", "m", smoke).maxRowsPerSource).toBe(16);
        const full = planStage(recipe, 1, "/tmp/out", "/tmp/out/01-cold_start/model", null);
        expect((full.config as GrpoConfig).optimisation.maxSteps).toBe(40);
        expect(full.hash).not.toBe(rl.hash);
        expect(planStage(recipe, 1, "/tmp/out", "/tmp/out/01-cold_start/model", smoke).hash).toBe(rl.hash);
        expect(planStage(recipe, 1, "/tmp/out", "/tmp/elsewhere", smoke).hash).not.toBe(rl.hash);
        expect(() => resolveSmoke({ numGenerations: 1 })).toThrow(/numGenerations/);
    });
});
